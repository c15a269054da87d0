import { isAbsolute, relative } from 'node:path';
import { formatTargets, type ProviderId } from '@turbostream/contracts';
import { FileWatch, type FileRead } from './file-watch.js';
import { parseStreams } from './streams-file.js';
import type { ConfigProblem, ProviderSettings, StreamConfig } from './types.js';

/** The parts of a stream that can change: `source` is ingest's, the others the windower's. */
export type StreamField = 'source' | 'window' | 'targets' | 'instructions';

/** One stream present before and after, with what changed in it. */
export interface StreamChange {
  id: string;
  fields: StreamField[];
  before: StreamConfig;
  after: StreamConfig;
}

/** What differs between two lists of streams. */
export interface StreamsDiff {
  added: StreamConfig[];
  removed: StreamConfig[];
  changed: StreamChange[];
}

/** One applied change, as a log line says it (`stream added: x`, `window of z changed (maxMessages 200 → 50)`). */
export interface StreamChangeLine {
  streamId: string;
  /** The field that changed; none for a stream added or removed. */
  field?: StreamField;
  message: string;
}

/**
 * What a look at the streams file found:
 * - `changed`: it is valid and its streams differ from the running ones;
 * - `unchanged`: it is valid and its streams are the running ones (a comment or
 *   the layout changed, or an invalid edit was undone: `afterRejection`);
 * - `rejected`: it is invalid or gone; nothing is to be applied.
 */
export type StreamsReload =
  | { kind: 'changed'; before: StreamConfig[]; streams: StreamConfig[]; diff: StreamsDiff; warnings: ConfigProblem[] }
  | { kind: 'unchanged'; afterRejection: boolean }
  | { kind: 'rejected'; problems: ConfigProblem[] };

const FIELDS: readonly StreamField[] = ['source', 'window', 'targets', 'instructions'];

/** JSON with the keys of every object sorted, so that equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).sort(([left], [right]) => left.localeCompare(right)));
  });
}

/** True when two configuration values are equal (key order aside). */
export function sameValue(left: unknown, right: unknown): boolean {
  return canonicalJson(left) === canonicalJson(right);
}

/** What a field of a stream holds: a target's sample is part of `targets`. */
function fieldValue(stream: StreamConfig, field: StreamField): unknown {
  return field === 'targets' ? { targets: stream.targets, samples: stream.samples } : stream[field];
}

/** Which streams were added, removed or changed (and in which fields) from `before` to `after`. */
export function diffStreams(before: readonly StreamConfig[], after: readonly StreamConfig[]): StreamsDiff {
  const old = new Map(before.map((stream) => [stream.id, stream]));
  const ids = new Set(after.map((stream) => stream.id));
  const changed: StreamChange[] = [];
  for (const stream of after) {
    const previous = old.get(stream.id);
    if (!previous) continue;
    const fields = FIELDS.filter((field) => !sameValue(fieldValue(previous, field), fieldValue(stream, field)));
    if (fields.length > 0) changed.push({ id: stream.id, fields, before: previous, after: stream });
  }
  return {
    added: after.filter((stream) => !old.has(stream.id)),
    removed: before.filter((stream) => !ids.has(stream.id)),
    changed,
  };
}

/** True when nothing was added, removed or changed. */
export function isEmptyDiff(diff: StreamsDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/** The diff with only the changed fields in `fields` (added and removed streams are kept). */
export function diffOfFields(diff: StreamsDiff, fields: readonly StreamField[]): StreamsDiff {
  const changed = diff.changed.flatMap((change) => {
    const kept = change.fields.filter((field) => fields.includes(field));
    return kept.length > 0 ? [{ ...change, fields: kept }] : [];
  });
  return { ...diff, changed };
}

function describeTargets(stream: StreamConfig): string {
  return formatTargets(stream.targets, stream.samples);
}

/** The keys of two records whose values differ. */
function differingKeys<T extends object>(before: T, after: T): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (key) => !sameValue((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key]),
  );
}

/** One change of one field, in words; source values are never shown (URLs and headers may hold secrets). */
function describeField(change: StreamChange, field: StreamField): string {
  const { id, before, after } = change;
  if (field === 'window') {
    const limits = differingKeys(before.window, after.window).map(
      (key) =>
        `${key} ${before.window[key as keyof typeof before.window]} ` +
        `→ ${after.window[key as keyof typeof after.window]}`,
    );
    return `window of ${id} changed (${limits.join(', ')})`;
  }
  if (field === 'source') return `source of ${id} changed (${differingKeys(before.source, after.source).join(', ')})`;
  if (field === 'targets') return `targets of ${id} changed: ${describeTargets(before)} → ${describeTargets(after)}`;
  return `instructions of ${id} changed`;
}

/** One line per added stream, removed stream and changed field, in that order. */
export function describeDiff(diff: StreamsDiff): StreamChangeLine[] {
  return [
    ...diff.added.map((stream) => ({ streamId: stream.id, message: `stream added: ${stream.id}` })),
    ...diff.removed.map((stream) => ({ streamId: stream.id, message: `stream removed: ${stream.id}` })),
    ...diff.changed.flatMap((change) =>
      change.fields.map((field) => ({ streamId: change.id, field, message: describeField(change, field) })),
    ),
  ];
}

/** A path as messages name it: relative to `cwd` when it lies below it. */
export function streamsFileName(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? path : shown;
}

export interface StreamsWatchOptions {
  /**
   * The streams file (absolute); it need not exist. Its directory is watched, so a symlink swapped there (a mounted
   * ConfigMap) is seen.
   */
  path: string;
  /** The file's name in messages. @defaultValue `path`, relative to the working directory */
  fileName?: string;
  /** The streams running now; each valid version of the file is compared with the last one applied. */
  running: readonly StreamConfig[];
  /** Target resolution, as at start (the env file is not read again). */
  providers: Record<ProviderId, ProviderSettings>;
  defaultProvider: ProviderId | undefined;
  /**
   * Called with each new version of the file (never twice at once). For `changed`,
   * resolve `true` once applied: its streams become the running ones; `false` keeps the previous ones.
   */
  onReload: (reload: StreamsReload) => boolean | Promise<boolean>;
  /** A failure of the watch itself (not of the file's contents). @defaultValue ignored */
  onError?: (error: unknown) => void;
  /** Quiet time after a change before the file is read, and between the two reads that must agree. @defaultValue 200 */
  debounceMs?: number;
  /** The file is also read this often, for file systems where watching misses changes. @defaultValue 2000 */
  pollMs?: number;
}

/**
 * Watches the streams file while the services run. Each version that differs
 * in content from the last one looked at is validated with the loader used at
 * start ({@link parseStreams}) and handed to `onReload` as a whole: applied
 * when valid, rejected with every problem when not (so never half-applied).
 * The file is followed by a {@link FileWatch}: the directory watched, the file
 * read every `pollMs` as well, only a change of content counting.
 */
export class StreamsFileWatch {
  readonly #options: StreamsWatchOptions;
  readonly #fileName: string;
  readonly #watch: FileWatch;
  #running: readonly StreamConfig[];
  #rejected = false;

  constructor(options: StreamsWatchOptions) {
    this.#options = options;
    this.#fileName = options.fileName ?? streamsFileName(options.path, process.cwd());
    this.#running = options.running;
    this.#watch = new FileWatch({
      path: options.path,
      onChange: (read, initial) => this.#changed(read, initial),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    });
  }

  /** The streams applied last. */
  get running(): readonly StreamConfig[] {
    return this.#running;
  }

  /** Starts watching, and looks at the file once at once (it may have changed since it was loaded). */
  start(): void {
    this.#watch.start();
  }

  /** Stops watching; waits for a reload in progress. */
  close(): Promise<void> {
    return this.#watch.close();
  }

  /** Looks at the file now (and again once a look in progress ends); resolves when done. */
  check(): Promise<void> {
    return this.#watch.check();
  }

  async #changed(read: FileRead, initial: boolean): Promise<void> {
    // No file from the start (the demo of `up`): nothing to report until there is one.
    if ('missing' in read && initial && !read.error && this.#running.length === 0) return;
    await this.#report(read);
  }

  async #report(read: FileRead): Promise<void> {
    if ('missing' in read) {
      const message = read.error
        ? `cannot be read (${read.error})`
        : 'does not exist any more (removed, or being replaced)';
      this.#rejected = true;
      await this.#options.onReload({ kind: 'rejected', problems: [{ source: this.#fileName, field: '', message }] });
      return;
    }
    const result = parseStreams(read.text, this.#fileName, this.#options.providers, this.#options.defaultProvider);
    if (result.problems.length > 0) {
      this.#rejected = true;
      await this.#options.onReload({ kind: 'rejected', problems: result.problems });
      return;
    }
    const afterRejection = this.#rejected;
    this.#rejected = false;
    const diff = diffStreams(this.#running, result.streams);
    if (isEmptyDiff(diff)) {
      await this.#options.onReload({ kind: 'unchanged', afterRejection });
      return;
    }
    const applied = await this.#options.onReload({
      kind: 'changed',
      before: [...this.#running],
      streams: result.streams,
      diff,
      warnings: result.warnings,
    });
    if (applied) this.#running = result.streams;
  }
}
