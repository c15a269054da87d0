import type { IngestSettings, SourceConfig } from '@turbostream/config';
import { STREAM_ID_PATTERN } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { SourceIngest, type SourceIngestStats } from './source-ingest.js';

export type IngestSource = { streamId: string } & SourceConfig;

export interface IngestOptions {
  /** Shared by every source; the caller owns it (`close()` leaves it open). Use `maxRetriesPerRequest: null` so writes wait out a Redis outage. */
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** Where `source.connected`, `source.down` and `source.gap` events go. @defaultValue none */
  events?: EventPublisher;
  /** One WebSocket connection each. */
  sources: IngestSource[];
  settings: IngestSettings;
  /** How long `close()` waits for buffered messages to reach Redis. @defaultValue 5000 */
  closeTimeoutMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/**
 * Holds one WebSocket per source and appends every message to that source's
 * Redis stream, with dead letters for bad frames, gap markers after
 * reconnects and backpressure when Redis falls behind.
 */
export class Ingest {
  readonly #options: IngestOptions;
  readonly #logger: Logger;
  readonly #sources: SourceIngest[];
  #started = false;
  #closing: Promise<void> | undefined;

  constructor(options: IngestOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const seen = new Set<string>();
    for (const { streamId } of options.sources) {
      if (!STREAM_ID_PATTERN.test(streamId)) throw new Error(`invalid stream id ${JSON.stringify(streamId)}: expected ${STREAM_ID_PATTERN}`);
      if (seen.has(streamId)) throw new Error(`stream id ${JSON.stringify(streamId)} appears twice`);
      seen.add(streamId);
    }
    this.#sources = options.sources.map(
      ({ streamId, ...source }) =>
        new SourceIngest({ streamId, source, settings: options.settings, redis: options.redis, keys: options.keys, logger: options.logger, events: options.events, ...(options.clock ? { clock: options.clock } : {}) }),
    );
  }

  /** Opens every source's connection; returns at once (connections and reconnects proceed in the background). */
  async start(): Promise<void> {
    if (this.#started || this.#closing) return;
    this.#started = true;
    for (const source of this.#sources) source.start();
    this.#logger.info({ streams: this.#sources.map((source) => source.streamId) }, 'ingest started');
  }

  /** Stops intake, writes what is buffered (up to `closeTimeoutMs`), then stops. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Counters per stream id. */
  stats(): Record<string, SourceIngestStats> {
    return Object.fromEntries(this.#sources.map((source) => [source.streamId, source.stats()]));
  }

  async #close(): Promise<void> {
    await Promise.all(
      this.#sources.map(async (source) => {
        try {
          await source.stopIntake();
        } catch (error) {
          this.#logger.warn({ err: error, streamId: source.streamId }, 'cannot close source connection');
        }
      }),
    );
    const timeoutMs = this.#options.closeTimeoutMs ?? 5_000;
    await Promise.all(
      this.#sources.map(async (source) => {
        try {
          const left = await source.drain(timeoutMs);
          if (left > 0) this.#logger.error({ streamId: source.streamId, left, timeoutMs }, 'buffered messages not written to Redis before the close deadline');
        } catch (error) {
          this.#logger.warn({ err: error, streamId: source.streamId }, 'cannot drain the buffer');
        }
      }),
    );
    this.#logger.info('ingest closed');
  }
}
