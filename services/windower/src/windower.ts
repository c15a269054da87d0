import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import type { Logger } from '@turbostream/logging';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { AnalysisQueues } from './analysis-queues.js';
import { ProviderWatch } from './provider-watch.js';
import { StreamWindower, type StreamWindowerStats } from './stream-windower.js';

export interface WindowerOptions {
  /**
   * Used for every command and shared with the BullMQ queues (it must have
   * been opened with `maxRetriesPerRequest: null`). Not closed by `close()`.
   */
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** Where operational events (dead letters) go; none when omitted. */
  events?: EventPublisher;
  /** Every configured stream; this instance tries to own each one. */
  streams: StreamConfig[];
  settings: WindowerSettings;
  /** This instance's id, stored in the leases it holds; unique per running windower. */
  owner: string;
  /** @defaultValue `Date.now` */
  clock?: () => number;
  /**
   * Entries read per `XRANGE`: with the open window, the most held in memory per stream.
   * @defaultValue 1000
   */
  chunkSize?: number;
  /**
   * How long `close()` waits for a windowing pass in progress.
   * @defaultValue 5000
   */
  closeTimeoutMs?: number;
  /**
   * Attempts per analysis job for transient failures (`ANALYZER_ATTEMPTS`).
   * @defaultValue 5
   */
  jobAttempts?: number;
  /** Timing of the check that every target's provider has a live analyzer (tests shorten it). */
  providerWatch?: { intervalMs?: number; graceMs?: number; repeatMs?: number };
}

export interface WindowerStats {
  owner: string;
  streams: StreamWindowerStats[];
}

/**
 * Cuts each configured stream into deterministic windows and stores one
 * analysis job per window and target. Any number of windowers may run: each
 * stream is worked by the one holding its lease, and another takes over when
 * that lease expires.
 */
export class Windower {
  readonly #options: WindowerOptions;
  readonly #logger: Logger;
  readonly #queues: AnalysisQueues;
  readonly #streams: StreamWindower[];
  readonly #watch: ProviderWatch;
  #started = false;
  #closed: Promise<void> | undefined;

  constructor(options: WindowerOptions) {
    const ids = new Set<string>();
    for (const stream of options.streams) {
      if (ids.has(stream.id)) throw new Error(`windower: stream ${stream.id} is configured twice`);
      if (stream.targets.length === 0) throw new Error(`windower: stream ${stream.id} has no analysis target`);
      ids.add(stream.id);
    }
    this.#options = options;
    this.#logger = options.logger;
    const clock = options.clock ?? Date.now;
    this.#queues = new AnalysisQueues({ redis: options.redis, keys: options.keys, logger: options.logger, clock, ...(options.jobAttempts ? { attempts: options.jobAttempts } : {}) });
    this.#streams = options.streams.map(
      (stream) =>
        new StreamWindower({
          redis: options.redis,
          keys: options.keys,
          logger: options.logger,
          events: options.events,
          stream,
          settings: options.settings,
          owner: options.owner,
          queues: this.#queues,
          clock,
          chunkSize: options.chunkSize ?? 1_000,
          closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
        }),
    );
    this.#watch = new ProviderWatch({
      redis: options.redis,
      keys: options.keys,
      logger: options.logger,
      events: options.events,
      queues: this.#queues,
      streams: this.#streams,
      owner: options.owner,
      clock,
      ...options.providerWatch,
    });
  }

  /** Starts polling every stream; a stream is windowed once its lease is taken. */
  async start(): Promise<void> {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (const stream of this.#streams) stream.start();
    this.#watch.start();
    this.#logger.info({ owner: this.#options.owner, streams: this.#streams.length }, 'windower started');
  }

  stats(): WindowerStats {
    return { owner: this.#options.owner, streams: this.#streams.map((stream) => stream.stats) };
  }

  /** True while this instance holds the stream's lease. */
  owns(streamId: string): boolean {
    return this.#streams.some((stream) => stream.stats.streamId === streamId && stream.stats.owned);
  }

  /** Stops windowing, releases the leases and closes the queues it created; the Redis connection stays open. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    await this.#watch.close();
    await Promise.all(this.#streams.map((stream) => stream.close()));
    try {
      await this.#queues.close();
    } catch (err) {
      this.#logger.warn({ err }, 'could not close the analysis queues');
    }
    this.#logger.info({ owner: this.#options.owner }, 'windower stopped');
  }
}
