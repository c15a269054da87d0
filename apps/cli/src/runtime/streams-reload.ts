import {
  type ConfigProblem,
  describeDiff,
  formatProblem,
  diffOfFields,
  isEmptyDiff,
  type StreamChangeLine,
  type StreamField,
  type StreamsDiff,
  StreamsFileWatch,
  type StreamsReload,
  streamsFileName,
  type TurboConfig,
} from '@turbostream/config';
import { redactUrlCredentials } from '@turbostream/contracts';
import { type Ingest, ingestSources } from '@turbostream/ingest';
import type { Logger } from '@turbostream/logging';
import { EventPublisher, type KeyLayout, readTargetOverride, type RedisClient } from '@turbostream/redis';
import type { Windower } from '@turbostream/windower';

export interface StreamsReloadOptions {
  /** The configuration the services run on. */
  config: Pick<TurboConfig, 'streams' | 'providers' | 'defaultProvider'>;
  /** The streams file to follow (absolute; it need not exist yet). */
  path: string;
  /** Where `path` is named from in messages. @defaultValue `process.cwd()` */
  cwd?: string;
  /** The services of this process that follow the file; the analyzer needs nothing per stream. */
  ingest?: Ingest | undefined;
  windower?: Windower | undefined;
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** This process's name on `config.*` events (`up`, `ingest`, `windower`). */
  service: string;
  /**
   * When set, this process cannot take streams from the file while running
   * (`up` running its built-in demo): a valid file is answered with this
   * warning, and nothing is applied.
   */
  restartNeeded?: string;
  /** @defaultValue see {@link StreamsFileWatch} */
  debounceMs?: number;
  pollMs?: number;
}

/** The fields of a stream each service applies. */
const FIELDS_OF: { ingest: readonly StreamField[]; windower: readonly StreamField[] } = {
  ingest: ['source'],
  windower: ['window', 'targets', 'instructions'],
};

/** Problems on one line, URL credentials masked. */
function problemText(problems: readonly ConfigProblem[]): string {
  return problems.map(formatProblem).join('; ');
}

/** What a reload changed, for the `config.reloaded` event: ids added and removed, and the fields changed by id. */
function changeDetails(diff: StreamsDiff): Record<string, unknown> {
  return {
    added: diff.added.map((stream) => stream.id),
    removed: diff.removed.map((stream) => stream.id),
    changed: Object.fromEntries(diff.changed.map((change) => [change.id, change.fields])),
  };
}

/**
 * Applies each valid version of the streams file to this process's ingest and
 * windower, or says why it cannot: one log line per applied change and a
 * `config.reloaded` event; for an invalid file, one error line naming every
 * problem and a `config.rejected` event, the running streams kept.
 */
class StreamsReloader {
  readonly #options: StreamsReloadOptions;
  readonly #file: string;
  readonly #events: EventPublisher;
  readonly #fields: readonly StreamField[];

  constructor(options: StreamsReloadOptions) {
    this.#options = options;
    this.#file = streamsFileName(options.path, options.cwd ?? process.cwd());
    this.#events = new EventPublisher({
      redis: options.redis,
      keys: options.keys,
      service: options.service,
      onError: (err) => options.logger.warn({ err }, 'event not published'),
    });
    this.#fields = [...(options.ingest ? FIELDS_OF.ingest : []), ...(options.windower ? FIELDS_OF.windower : [])];
  }

  get file(): string {
    return this.#file;
  }

  /** Handles what the watch found; true when the new streams now run. */
  async handle(reload: StreamsReload): Promise<boolean> {
    if (reload.kind === 'rejected') return this.#rejected(reload.problems);
    if (reload.kind === 'unchanged') {
      const message = `${this.#file} matches the running streams again; nothing to apply`;
      if (reload.afterRejection) this.#options.logger.info({ file: this.#file }, message);
      else this.#options.logger.debug({ file: this.#file }, `${this.#file} changed, its streams did not`);
      return false;
    }
    if (this.#options.restartNeeded !== undefined)
      return this.#restartNeeded(
        this.#options.restartNeeded,
        reload.streams.map((stream) => stream.id),
      );
    return this.#apply(reload);
  }

  async #apply(reload: Extract<StreamsReload, { kind: 'changed' }>): Promise<boolean> {
    const { logger, ingest, windower } = this.#options;
    const diff = diffOfFields(reload.diff, this.#fields);
    if (isEmptyDiff(diff)) {
      logger.debug({ file: this.#file }, `${this.#file} changed; nothing in it for ${this.#options.service}`);
      return true;
    }
    try {
      await Promise.all([ingest?.update(ingestSources(reload.streams)), windower?.update(reload.streams)]);
    } catch (err) {
      const message =
        `${this.#file} changed but could not be applied ` +
        `(${err instanceof Error ? err.message : String(err)}): restart ${this.#options.service} to apply it`;
      logger.error({ err, file: this.#file }, message);
      await this.#events.publish({ type: 'config.restart-needed', message, details: { file: this.#file } });
      return false;
    }
    const lines = await Promise.all(describeDiff(diff).map((line) => this.#withNote(line)));
    for (const line of lines)
      logger.info(
        { file: this.#file, streamId: line.streamId, ...(line.field ? { field: line.field } : {}) },
        line.message,
      );
    for (const warning of reload.warnings) logger.warn({ file: this.#file }, problemText([warning]));
    const message = `${this.#file} applied: ${lines.map((line) => line.message).join('; ')}`;
    await this.#events.publish({
      type: 'config.reloaded',
      message,
      details: { file: this.#file, ...changeDetails(diff) },
    });
    return true;
  }

  /** What the change means here: a source reconnects, a window applies from the next one, an override still wins. */
  async #withNote(line: StreamChangeLine): Promise<StreamChangeLine> {
    if (line.field === 'source') return { ...line, message: `${line.message}: reconnecting` };
    if (line.field === 'window') return { ...line, message: `${line.message}: the next windows use it` };
    if (line.field === 'instructions') return { ...line, message: `${line.message}: the next windows use them` };
    if (line.field !== 'targets') return line;
    const overridden = await readTargetOverride(this.#options.redis, this.#options.keys, line.streamId).catch(
      () => undefined,
    );
    const note = overridden
      ? `the targets set with \`turbostream streams set\` still apply, until \`turbostream streams ` +
        `set ${line.streamId} --reset\``
      : 'the next windows are analysed by them';
    return { ...line, message: `${line.message}: ${note}` };
  }

  async #rejected(problems: readonly ConfigProblem[]): Promise<boolean> {
    const kept = this.#options.restartNeeded === undefined ? 'the running streams are kept' : 'the demo keeps running';
    const message = `${this.#file} not applied, ${kept}: ${problemText(problems)}`;
    this.#options.logger.error({ file: this.#file }, message);
    const details = {
      file: this.#file,
      problems: problems.map((problem) => ({ ...problem, message: redactUrlCredentials(problem.message) })),
    };
    await this.#events.publish({ type: 'config.rejected', message, details });
    return false;
  }

  async #restartNeeded(reason: string, streamIds: readonly string[]): Promise<boolean> {
    const message = `${this.#file} now has streams (${streamIds.join(', ')}), but ${reason}`;
    this.#options.logger.warn({ file: this.#file }, message);
    await this.#events.publish({
      type: 'config.restart-needed',
      message,
      details: { file: this.#file, streams: streamIds },
    });
    return false;
  }
}

/**
 * Follows the streams file while the services run (see {@link StreamsFileWatch}):
 * each valid version is applied to `ingest` (sources opened, closed,
 * reconnected) and `windower` (streams started, stopped, restarted with new
 * limits, targets or instructions); an invalid one is refused whole. Started;
 * the caller closes it before the services.
 */
export function followStreamsFile(options: StreamsReloadOptions): StreamsFileWatch {
  const reloader = new StreamsReloader(options);
  const watch = new StreamsFileWatch({
    path: options.path,
    fileName: reloader.file,
    running: options.restartNeeded === undefined ? options.config.streams : [],
    providers: options.config.providers,
    defaultProvider: options.config.defaultProvider,
    onReload: (reload) => reloader.handle(reload),
    onError: (err) =>
      options.logger.warn(
        { err, file: reloader.file },
        `cannot follow ${reloader.file}: changes are still looked for every few seconds`,
      ),
    ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
  watch.start();
  return watch;
}
