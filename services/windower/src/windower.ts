import { type StreamConfig, sameValue, type WindowerSettings } from '@turbostream/config';
import { BudgetLedger, budgetRemaining } from '@turbostream/costs';
import type { ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { TurboMetrics } from '@turbostream/metrics';
import { AnalysisProducer } from '@turbostream/queue';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { BudgetWatch } from './budget-watch.js';
import { ProviderWatch } from './provider-watch.js';
import { StreamTail } from './stream-tail.js';
import { type StreamLag, StreamWindower, type StreamWindowerStats } from './stream-windower.js';
import { TargetOverrides } from './target-source.js';

/** The queue states exported as `turbostream_queue_jobs`. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

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
  /** Where its metrics go (the process's registry). @defaultValue a registry of its own */
  metrics?: TurboMetrics;
  /** Timing of the check that every target's provider has a live analyzer (tests shorten it). */
  providerWatch?: { intervalMs?: number; graceMs?: number; repeatMs?: number };
}

export interface WindowerStats {
  owner: string;
  streams: StreamWindowerStats[];
}

/** What {@link Windower.update} did, by stream id. */
export interface WindowerUpdate {
  /** Streams windowed from now on. */
  added: string[];
  /** Streams no longer windowed here (their leases released). */
  removed: string[];
  /**
   * Streams whose window limits, targets or instructions changed: cut again from their checkpoint with the new ones.
   */
  restarted: string[];
}

/** Throws when a stream appears twice or has no target. */
function checkStreams(streams: readonly StreamConfig[]): void {
  const ids = new Set<string>();
  for (const stream of streams) {
    if (ids.has(stream.id)) throw new Error(`windower: stream ${stream.id} is configured twice`);
    if (stream.targets.length === 0) throw new Error(`windower: stream ${stream.id} has no analysis target`);
    ids.add(stream.id);
  }
}

/** True when what the windower uses of a stream (all but its source) differs. */
function windowingChanged(before: StreamConfig, after: StreamConfig): boolean {
  return !sameValue({ ...before, source: undefined }, { ...after, source: undefined });
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
  readonly #clock: () => number;
  readonly #queues: AnalysisProducer;
  readonly #budgets: BudgetWatch;
  readonly #ledger: BudgetLedger;
  readonly #metrics: TurboMetrics;
  readonly #stopCollecting: Array<() => void> = [];
  #lags: { at: number; lags: Promise<Map<string, StreamLag>> } | undefined;
  /** The streams windowed here; changed in place by `update()`, as the provider watch reads the same list. */
  readonly #streams: StreamWindower[] = [];
  /** Each stream's configuration as given (its file targets, not those set while running), by id. */
  readonly #configs = new Map<string, StreamConfig>();
  readonly #watch: ProviderWatch;
  /** Wakes the streams at their end on new entries (blocking reads on connections of its own). */
  readonly #tail: StreamTail;
  readonly #overrides: TargetOverrides;
  /** Every `pollMs`, each stream's check of what no new entry tells of (see {@link StreamWindower.tick}). */
  #ticker: NodeJS.Timeout | undefined;
  #started = false;
  #closed: Promise<void> | undefined;
  /** The update in progress; updates run one after another. */
  #updating: Promise<unknown> = Promise.resolve();

  constructor(options: WindowerOptions) {
    checkStreams(options.streams);
    this.#options = options;
    this.#logger = options.logger;
    const clock = options.clock ?? Date.now;
    this.#clock = clock;
    this.#queues = new AnalysisProducer({
      redis: options.redis,
      keys: options.keys,
      onError: (err, provider) => options.logger.debug({ err, provider }, 'analysis queue error'),
      clock,
      ...(options.jobAttempts ? { attempts: options.jobAttempts } : {}),
    });
    this.#metrics = options.metrics ?? new TurboMetrics();
    this.#ledger = new BudgetLedger({ redis: options.redis, keys: options.keys });
    this.#budgets = new BudgetWatch({ ledger: this.#ledger, clock });
    this.#tail = new StreamTail({ redis: options.redis, logger: options.logger });
    this.#overrides = new TargetOverrides({ redis: options.redis, keys: options.keys, clock });
    for (const stream of options.streams) this.#add(stream);
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

  /**
   * Starts windowing every stream whose lease it takes: each is read to its end, then woken by its new entries and
   * at its open window's deadline; every `pollMs` it checks for free leases, queues with room again and targets set.
   */
  async start(): Promise<void> {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (const stream of this.#streams) stream.start();
    this.#ticker = setInterval(() => {
      for (const stream of this.#streams) stream.tick();
    }, this.#options.settings.pollMs);
    this.#watch.start();
    this.#collectMetrics();
    this.#logger.info({ owner: this.#options.owner, streams: this.#streams.length }, 'windower started');
  }

  stats(): WindowerStats {
    return { owner: this.#options.owner, streams: this.#streams.map((stream) => stream.stats) };
  }

  /** True while this instance holds the stream's lease. */
  owns(streamId: string): boolean {
    return this.#streams.some((stream) => stream.stats.streamId === streamId && stream.stats.owned);
  }

  /**
   * Makes the windowed streams those of `streams`, while running: starts
   * windowing the new ones, stops those no longer there (releasing their
   * leases), and restarts those whose window limits, file targets or
   * instructions changed. A restarted stream is cut again from its checkpoint
   * with the new settings: windows already stored stay as they are, the next
   * ones (the open window included) follow the new limits, and targets set
   * with `turbostream streams set` still win over the file's. A change of
   * source alone is ingest's: nothing restarts. Throws, changing nothing, when
   * `streams` is invalid; updates run one at a time, and none after `close()`.
   */
  update(streams: readonly StreamConfig[]): Promise<WindowerUpdate> {
    checkStreams(streams);
    const run = this.#updating.then(() => this.#update(streams));
    this.#updating = run.catch(() => {});
    return run;
  }

  /** Stops windowing, releases the leases and closes the queues it created; the Redis connection stays open. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /**
   * The scrape-time gauges: the lag of each stream this instance owns, the depth of the queue of every provider its
   * streams target, and what is left of its owned streams' budgets.
   */
  #collectMetrics(): void {
    const metrics = this.#metrics;
    this.#stopCollecting.push(
      metrics.onCollect('lagEntries', async (gauge) => {
        for (const [stream, lag] of await this.#streamLags())
          if (lag.entries !== undefined) gauge.set({ stream }, lag.entries);
      }),
      metrics.onCollect('lagSeconds', async (gauge) => {
        for (const [stream, lag] of await this.#streamLags()) gauge.set({ stream }, lag.ms / 1000);
      }),
      metrics.onCollect('queueJobs', async (gauge) => {
        const providers = new Set<ProviderId>(
          this.#streams.flatMap((stream) => stream.targets.targets.map((target) => target.provider)),
        );
        await Promise.all(
          [...providers].map(async (provider) => {
            const counts = await this.#queues.cachedCounts(provider);
            for (const state of QUEUE_STATES) gauge.set({ provider, state }, counts[state]);
          }),
        );
      }),
    );
    const budgets = async () => {
      const owned = [...this.#configs.values()].filter((stream) => stream.budget && this.owns(stream.id));
      return Promise.all(
        owned.map(async (stream) => {
          const scope = `stream:${stream.id}`;
          return { scope, left: budgetRemaining(stream.budget ?? {}, await this.#ledger.status(scope, this.#clock())) };
        }),
      );
    };
    this.#stopCollecting.push(
      metrics.onCollect('budgetDollarsLeft', async (gauge) => {
        for (const { scope, left } of await budgets())
          if (left.usdPerDay !== undefined) gauge.set({ scope }, left.usdPerDay);
      }),
      metrics.onCollect('budgetTokensLeft', async (gauge) => {
        for (const { scope, left } of await budgets())
          if (left.tokensPerMinute !== undefined) gauge.set({ scope }, left.tokensPerMinute);
      }),
    );
  }

  /** The lag of every stream this instance owns, read at most once a second (two gauges ask for it per scrape). */
  #streamLags(): Promise<Map<string, StreamLag>> {
    const now = Date.now();
    if (this.#lags && now - this.#lags.at < 1_000) return this.#lags.lags;
    const lags = Promise.all(
      this.#streams.map(async (stream) => [stream.stats.streamId, await stream.lag()] as const),
    ).then((all) => new Map(all.filter((entry): entry is [string, StreamLag] => entry[1] !== undefined)));
    this.#lags = { at: now, lags };
    lags.catch(() => {
      if (this.#lags?.lags === lags) this.#lags = undefined;
    });
    return lags;
  }

  async #update(streams: readonly StreamConfig[]): Promise<WindowerUpdate> {
    const done: WindowerUpdate = { added: [], removed: [], restarted: [] };
    if (this.#closed) return done;
    const wanted = new Set(streams.map((stream) => stream.id));
    const removed = [...this.#configs.keys()].filter((id) => !wanted.has(id));
    const restarted = streams.filter((stream) => {
      const before = this.#configs.get(stream.id);
      return before !== undefined && windowingChanged(before, stream);
    });
    const added = streams.filter((stream) => !this.#configs.has(stream.id));
    await Promise.all([...removed, ...restarted.map((stream) => stream.id)].map((id) => this.#remove(id)));
    // a new source only
    for (const stream of streams) if (this.#configs.has(stream.id)) this.#configs.set(stream.id, stream);
    done.removed = removed;
    if (this.#closed) return done;
    for (const stream of [...restarted, ...added]) {
      const windower = this.#add(stream);
      if (this.#started) windower.start();
    }
    done.restarted = restarted.map((stream) => stream.id);
    done.added = added.map((stream) => stream.id);
    this.#logger.debug({ ...done, streams: this.#streams.length }, 'windowed streams updated');
    return done;
  }

  #add(stream: StreamConfig): StreamWindower {
    const options = this.#options;
    const windower = new StreamWindower({
      redis: options.redis,
      keys: options.keys,
      logger: options.logger,
      events: options.events,
      stream,
      settings: options.settings,
      owner: options.owner,
      queues: this.#queues,
      clock: this.#clock,
      chunkSize: options.chunkSize ?? 1_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 5_000,
      budgets: this.#budgets,
      metrics: this.#metrics,
      tail: this.#tail,
      overrides: this.#overrides,
    });
    this.#streams.push(windower);
    this.#configs.set(stream.id, stream);
    return windower;
  }

  /** Stops windowing one stream (the pass in progress finishes first) and releases its lease. */
  async #remove(id: string): Promise<void> {
    const index = this.#streams.findIndex((stream) => stream.stats.streamId === id);
    this.#configs.delete(id);
    if (index < 0) return;
    const [windower] = this.#streams.splice(index, 1);
    await windower?.close();
  }

  async #close(): Promise<void> {
    for (const stop of this.#stopCollecting.splice(0)) stop();
    clearInterval(this.#ticker);
    await this.#watch.close();
    await this.#updating; // a stream being removed releases its lease there; one being added is then in the list
    await Promise.all(this.#streams.map((stream) => stream.close()));
    await this.#tail.close();
    try {
      await this.#queues.close();
    } catch (err) {
      this.#logger.warn({ err }, 'could not close the analysis queues');
    }
    this.#logger.info({ owner: this.#options.owner }, 'windower stopped');
  }
}
