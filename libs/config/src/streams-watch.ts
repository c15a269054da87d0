import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { formatTarget, type ProviderId } from '@turbostream/contracts';
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

/** Which streams were added, removed or changed (and in which fields) from `before` to `after`. */
export function diffStreams(before: readonly StreamConfig[], after: readonly StreamConfig[]): StreamsDiff {
  const old = new Map(before.map((stream) => [stream.id, stream]));
  const ids = new Set(after.map((stream) => stream.id));
  const changed: StreamChange[] = [];
  for (const stream of after) {
    const previous = old.get(stream.id);
    if (!previous) continue;
    const fields = FIELDS.filter((field) => !sameValue(previous[field], stream[field]));
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
  return stream.targets.map(formatTarget).join(', ');
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

/** What the file held when last looked at: its content's hash, or that it was missing. */
type Seen = { hash: string } | { missing: true; error?: string };

const MAX_SETTLE_READS = 10;

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads the file: its text, or that it is missing (with `error` when it exists but cannot be read). */
function readText(path: string): { text: string } | { missing: true; error?: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { missing: true, error: error instanceof Error ? error.message : String(error) };
  }
}

function seenOf(read: ReturnType<typeof readText>): Seen {
  return 'text' in read ? { hash: hashOf(read.text) } : read;
}

function sameSeen(left: Seen | undefined, right: Seen): boolean {
  if (left === undefined) return false;
  if ('hash' in left || 'hash' in right) return 'hash' in left && 'hash' in right && left.hash === right.hash;
  return left.error === right.error;
}

/**
 * Watches the streams file while the services run. Each version that differs
 * in content from the last one looked at is validated with the loader used at
 * start ({@link parseStreams}) and handed to `onReload` as a whole: applied
 * when valid, rejected with every problem when not (so never half-applied).
 * The directory is watched (`fs.watch`, debounced), and the file read every
 * `pollMs` as well; only a change of content counts, so touching the file,
 * a swapped symlink with the same content or a burst of events reload nothing.
 * A file being written is read until two reads `debounceMs` apart agree.
 */
export class StreamsFileWatch {
  readonly #options: StreamsWatchOptions;
  readonly #fileName: string;
  #running: readonly StreamConfig[];
  #seen: Seen | undefined;
  #rejected = false;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: StreamsWatchOptions) {
    this.#options = options;
    this.#fileName = options.fileName ?? streamsFileName(options.path, process.cwd());
    this.#running = options.running;
  }

  /** The streams applied last. */
  get running(): readonly StreamConfig[] {
    return this.#running;
  }

  /** Starts watching, and looks at the file once at once (it may have changed since it was loaded). */
  start(): void {
    if (this.#closed || this.#poll) return;
    this.#watchDirectory();
    this.#poll = setInterval(() => this.#schedule(0), this.#options.pollMs ?? 2_000);
    this.#poll.unref();
    this.#schedule(0);
  }

  /** Stops watching; waits for a reload in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    await this.#checking;
  }

  /** Looks at the file now (and again once a look in progress ends); resolves when done. */
  async check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = this.#checkUntilQuiet().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  #watchDirectory(): void {
    try {
      this.#watcher = watch(dirname(this.#options.path), { persistent: false }, () =>
        this.#schedule(this.#options.debounceMs ?? 200),
      );
      this.#watcher.on('error', (error) => {
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#options.onError?.(error);
      });
    } catch (error) {
      this.#options.onError?.(error); // polling alone still sees every change
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.check().catch((error: unknown) => this.#options.onError?.(error));
    }, delayMs);
  }

  async #checkUntilQuiet(): Promise<void> {
    do {
      this.#again = false;
      await this.#checkOnce();
    } while (this.#again && !this.#closed);
  }

  async #checkOnce(): Promise<void> {
    const first = readText(this.#options.path);
    if (sameSeen(this.#seen, seenOf(first))) return;
    const read = await this.#settled(first);
    if (this.#closed) return;
    const seen = seenOf(read);
    if (sameSeen(this.#seen, seen)) return;
    const initial = this.#seen === undefined;
    this.#seen = seen;
    // No file from the start (the demo of `up`): nothing to report until there is one.
    if ('missing' in read && initial && !read.error && this.#running.length === 0) return;
    await this.#report(read);
  }

  /** Reads again until two reads `debounceMs` apart agree: a file being written is not taken half-written. */
  async #settled(first: ReturnType<typeof readText>): Promise<ReturnType<typeof readText>> {
    let previous = first;
    for (let reads = 0; reads < MAX_SETTLE_READS && !this.#closed; reads += 1) {
      await new Promise((resolve) => setTimeout(resolve, this.#options.debounceMs ?? 200));
      const next = readText(this.#options.path);
      if (sameSeen(seenOf(previous), seenOf(next))) return next;
      previous = next;
    }
    return previous;
  }

  async #report(read: ReturnType<typeof readText>): Promise<void> {
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
