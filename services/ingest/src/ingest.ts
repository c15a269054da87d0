import { type IngestSettings, type SourceConfig, sameValue } from '@turbostream/config';
import { STREAM_ID_PATTERN } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { TurboMetrics } from '@turbostream/metrics';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { SourceIngest, type SourceIngestStats } from './source-ingest.js';

export type IngestSource = { streamId: string } & SourceConfig;

export interface IngestOptions {
  /**
   * Shared by every source; the caller owns it (`close()` leaves it open). Use `maxRetriesPerRequest: null` so writes
   * wait out a Redis outage.
   */
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** Where `source.connected`, `source.down` and `source.gap` events go. @defaultValue none */
  events?: EventPublisher;
  /** One WebSocket connection each. */
  sources: IngestSource[];
  settings: IngestSettings;
  /** Where the per-stream metrics go (the process's registry). @defaultValue a registry of its own */
  metrics?: TurboMetrics;
  /** How long `close()` waits for buffered messages to reach Redis. @defaultValue 5000 */
  closeTimeoutMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/** What {@link Ingest.update} did, by stream id. */
export interface IngestUpdate {
  /** Sources opened. */
  added: string[];
  /** Sources closed (after writing what they had buffered). */
  removed: string[];
  /** Sources closed and opened again with their new url, subscribe messages, headers or format. */
  reconnected: string[];
}

/** Throws when a stream id is invalid or appears twice. */
function checkSources(sources: readonly IngestSource[]): void {
  const seen = new Set<string>();
  for (const { streamId } of sources) {
    if (!STREAM_ID_PATTERN.test(streamId))
      throw new Error(`invalid stream id ${JSON.stringify(streamId)}: expected ${STREAM_ID_PATTERN}`);
    if (seen.has(streamId)) throw new Error(`stream id ${JSON.stringify(streamId)} appears twice`);
    seen.add(streamId);
  }
}

/**
 * Holds one WebSocket per source and appends every message to that source's
 * Redis stream, with dead letters for bad frames, gap markers after
 * reconnects and backpressure when Redis falls behind.
 */
export class Ingest {
  readonly #options: IngestOptions;
  readonly #logger: Logger;
  readonly #metrics: TurboMetrics;
  #stopCollecting: (() => void) | undefined;
  /** The running sources and the configuration each was opened with, by stream id. */
  readonly #sources = new Map<string, { ingest: SourceIngest; config: IngestSource }>();
  #started = false;
  #closing: Promise<void> | undefined;
  /** The update in progress; updates run one after another. */
  #updating: Promise<unknown> = Promise.resolve();

  constructor(options: IngestOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#metrics = options.metrics ?? new TurboMetrics();
    checkSources(options.sources);
    for (const source of options.sources) this.#add(source);
  }

  /** Opens every source's connection; returns at once (connections and reconnects proceed in the background). */
  async start(): Promise<void> {
    if (this.#started || this.#closing) return;
    this.#started = true;
    this.#stopCollecting = this.#metrics.onCollect('sourceUp', (gauge) => {
      for (const { ingest } of this.#sources.values()) gauge.set({ stream: ingest.streamId }, ingest.connected ? 1 : 0);
    });
    for (const { ingest } of this.#sources.values()) ingest.start();
    this.#logger.info({ streams: [...this.#sources.keys()] }, 'ingest started');
  }

  /**
   * Makes the running sources those of `sources`, while running: opens the
   * new ones, closes those no longer there (writing what they buffered first),
   * and closes and reopens those whose url, subscribe messages, headers or
   * format changed (the new connection writes a gap entry, as after a
   * restart). Sources that did not change keep their connection. Throws,
   * changing nothing, when `sources` is invalid; updates run one at a time,
   * and none after `close()`.
   */
  update(sources: readonly IngestSource[]): Promise<IngestUpdate> {
    checkSources(sources);
    const run = this.#updating.then(() => this.#update(sources));
    this.#updating = run.catch(() => {});
    return run;
  }

  /** Stops intake, writes what is buffered (up to `closeTimeoutMs`), then stops. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Counters per stream id. */
  stats(): Record<string, SourceIngestStats> {
    return Object.fromEntries([...this.#sources.values()].map(({ ingest }) => [ingest.streamId, ingest.stats()]));
  }

  async #update(sources: readonly IngestSource[]): Promise<IngestUpdate> {
    const done: IngestUpdate = { added: [], removed: [], reconnected: [] };
    if (this.#closing) return done;
    const wanted = new Map(sources.map((source) => [source.streamId, source]));
    const removed = [...this.#sources.keys()].filter((streamId) => !wanted.has(streamId));
    const changed = sources.filter((source) => {
      const running = this.#sources.get(source.streamId);
      return running !== undefined && !sameValue(running.config, source);
    });
    const added = sources.filter((source) => !this.#sources.has(source.streamId));
    // A changed source is drained before it reopens, so that its entries stay in order.
    await Promise.all(
      [...removed, ...changed.map((source) => source.streamId)].map((streamId) => this.#remove(streamId)),
    );
    done.removed = removed;
    if (this.#closing) return done;
    for (const source of [...changed, ...added]) {
      const { ingest } = this.#add(source);
      if (this.#started) ingest.start();
    }
    done.reconnected = changed.map((source) => source.streamId);
    done.added = added.map((source) => source.streamId);
    this.#logger.debug({ ...done }, 'ingest sources updated');
    return done;
  }

  #add(config: IngestSource): { ingest: SourceIngest; config: IngestSource } {
    const { streamId, ...source } = config;
    const { settings, redis, keys, logger, events, clock } = this.#options;
    const ingest = new SourceIngest({
      streamId,
      source,
      settings,
      redis,
      keys,
      logger,
      events,
      metrics: this.#metrics,
      ...(clock ? { clock } : {}),
    });
    const entry = { ingest, config };
    this.#sources.set(streamId, entry);
    return entry;
  }

  /** Closes one source's connection and writes what it buffered (up to `closeTimeoutMs`). */
  async #remove(streamId: string): Promise<void> {
    const running = this.#sources.get(streamId);
    if (!running) return;
    this.#sources.delete(streamId);
    await this.#stop([running.ingest]);
  }

  async #close(): Promise<void> {
    await this.#updating; // a source being removed is written out there; one being added is then in the list
    await this.#stop([...this.#sources.values()].map(({ ingest }) => ingest));
    this.#stopCollecting?.();
    this.#logger.info('ingest closed');
  }

  /** Closes the sources' connections, then writes what they buffered (up to `closeTimeoutMs`). */
  async #stop(sources: readonly SourceIngest[]): Promise<void> {
    await Promise.all(
      sources.map(async (source) => {
        try {
          await source.stopIntake();
        } catch (error) {
          this.#logger.warn({ err: error, streamId: source.streamId }, 'cannot close source connection');
        }
      }),
    );
    const timeoutMs = this.#options.closeTimeoutMs ?? 5_000;
    await Promise.all(
      sources.map(async (source) => {
        try {
          const left = await source.drain(timeoutMs);
          if (left > 0)
            this.#logger.error(
              { streamId: source.streamId, left, timeoutMs },
              'buffered messages not written to Redis before the close deadline',
            );
        } catch (error) {
          this.#logger.warn({ err: error, streamId: source.streamId }, 'cannot drain the buffer');
        }
      }),
    );
  }
}
