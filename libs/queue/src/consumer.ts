import type { ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { type Job, RateLimitError, Worker } from 'bullmq';
import { analysisQueueName, queueOptions } from './analysis-queue.js';
import { ProviderGate } from './provider-gate.js';

/**
 * Processes one job. It calls `admit()` right before it calls the provider:
 * `admit` throws (handing the job back to wait, no attempt used) while the
 * provider is rate-limited and this job may not probe it.
 */
export type AnalysisProcessor<R> = (
  job: Job<unknown, R>,
  token: string | undefined,
  signal: AbortSignal | undefined,
  admit: () => Promise<void>,
) => Promise<R>;

export interface AnalysisConsumerOptions<R> {
  /** BullMQ's connection (`maxRetriesPerRequest: null`); workers duplicate it for blocking reads. */
  connection: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** One worker listens to each one's queue. */
  providers: readonly ProviderId[];
  /** Worker name, shown as `job.processedBy`. */
  name: string;
  concurrency: number;
  lockMs: number;
  process: AnalysisProcessor<R>;
  /** How long the provider asked us to wait when `err` is its 429; `undefined` for any other error. */
  rateLimitedFor: (err: unknown) => number | undefined;
  /** A job failed (BullMQ's `failed` event; it may be retried). */
  onFailed: (provider: ProviderId, job: Job<unknown, R> | undefined, err: Error) => void;
  /** How long `close()` waits for active jobs before cancelling them. */
  drainTimeoutMs: number;
  /**
   * How often to check that every worker's main loop still runs (it can end after a Redis
   * error, leaving a worker that no longer consumes); a stopped one is restarted.
   * @defaultValue 5000
   */
  livenessIntervalMs?: number;
}

/** How often a worker looks for the jobs of crashed analyzers: a quarter of the lock, at least once a second. */
export function stalledCheckInterval(lockMs: number): number {
  return Math.max(1_000, Math.round(lockMs / 4));
}

/** BullMQ honours `worker.rateLimit` only on workers with a limiter; this one never limits by count. */
const RATE_LIMIT_ONLY = { max: Number.MAX_SAFE_INTEGER, duration: 1_000 };

function sleep(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

/**
 * The analyzer's side of the analysis queues: one BullMQ worker per provider,
 * each on that provider's queue, and the one way a 429 is handled (see README).
 */
export class AnalysisConsumer<R> {
  readonly #options: AnalysisConsumerOptions<R>;
  readonly #logger: Logger;
  readonly #gate: ProviderGate;
  readonly #workers = new Map<ProviderId, Worker<unknown, R>>();
  #liveness: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: AnalysisConsumerOptions<R>) {
    this.#options = options;
    this.#logger = options.logger;
    this.#gate = new ProviderGate({ redis: options.connection, keys: options.keys, leaseMs: options.lockMs });
  }

  /** Starts one worker per provider and waits until each is connected. */
  async start(): Promise<void> {
    const { connection, keys, name, concurrency, lockMs } = this.#options;
    for (const provider of this.#options.providers) {
      const worker: Worker<unknown, R> = new Worker<unknown, R>(
        analysisQueueName(provider),
        (job, token, signal) => this.#run(provider, worker, job, token, signal),
        {
          ...queueOptions(keys),
          connection,
          name,
          concurrency,
          lockDuration: lockMs,
          // A crashed analyzer's job goes back to the queue at the first stalled check after its lock
          // expired (up to lockMs after the crash): checking four times a lock period bounds the takeover
          // at about 1.25 × lockMs (it was up to 2 × with one check a period).
          stalledInterval: stalledCheckInterval(lockMs),
          maxStalledCount: 2,
          limiter: RATE_LIMIT_ONLY,
          // While rate-limited, look again each second (not only when the limit ends), so a drain is not held up by it.
          maximumRateLimitDelay: 1_000,
        },
      );
      worker.on('error', (err) => this.#logger.error({ err, provider }, 'analysis worker error'));
      worker.on('failed', (job, err) => this.#options.onFailed(provider, job, err));
      this.#workers.set(provider, worker);
    }
    await Promise.all([...this.#workers.values()].map((worker) => worker.waitUntilReady()));
    this.#liveness = setInterval(() => this.#checkLiveness(), this.#options.livenessIntervalMs ?? 5_000);
    this.#liveness.unref();
  }

  /**
   * Runs one job. A 429 (or a job that may not call its rate-limited provider yet) sets BullMQ's
   * queue-wide rate limit and throws its RateLimitError: the job goes back to wait, no attempt used.
   */
  async #run(
    provider: ProviderId,
    worker: Worker<unknown, R>,
    job: Job<unknown, R>,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<R> {
    const owner = token ?? `${job.id}`;
    let probe = false;
    const admit = async () => {
      const verdict = await this.#gate.admit(provider, owner);
      if (verdict === 'probe') probe = true;
      else if (verdict > 0) {
        await worker.rateLimit(verdict);
        throw Worker.RateLimitError();
      }
    };
    const settle = (answered: boolean) =>
      probe
        ? this.#gate
            .settle(provider, owner, answered)
            .catch((err: unknown) => this.#logger.warn({ err, provider }, 'cannot settle the rate-limit probe'))
        : undefined;
    try {
      const result = await this.#options.process(job, token, signal, admit);
      await settle(true);
      return result;
    } catch (err) {
      const waitMs = err instanceof RateLimitError ? undefined : this.#options.rateLimitedFor(err);
      if (waitMs === undefined) {
        await settle(false);
        throw err;
      }
      await this.#gate.limited(provider, waitMs, probe ? owner : '');
      await worker.rateLimit(waitMs);
      throw Worker.RateLimitError();
    }
  }

  /** Restarts a worker whose main loop ended although nobody paused or closed it. */
  #checkLiveness(): void {
    if (this.#closing) return;
    for (const [provider, worker] of this.#workers) {
      if (worker.isRunning() || worker.isPaused() || worker.closing) continue;
      this.#logger.warn({ provider }, 'analysis worker stopped consuming; restarting it');
      worker.run().catch((err: unknown) => this.#logger.error({ err, provider }, 'analysis worker stopped'));
    }
  }

  /**
   * Stops taking jobs, lets active ones finish until the drain deadline, cancels the rest, then closes the workers.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#liveness);
    const workers = [...this.#workers.entries()];
    const deadline = this.#options.drainTimeoutMs;
    await Promise.all(
      workers.map(async ([provider, worker]) => {
        try {
          const drained = worker.pause().then(() => 'drained' as const);
          if ((await Promise.race([drained, sleep(deadline)])) === 'timeout') {
            this.#logger.warn(
              { provider, deadlineMs: deadline },
              'active jobs did not finish in time; cancelling them',
            );
            worker.cancelAllJobs('analyzer shutting down');
            await Promise.race([drained, sleep(2_000)]);
          }
        } catch (err) {
          this.#logger.error({ err, provider }, 'cannot drain analysis worker');
        }
      }),
    );
    await Promise.all(
      workers.map(async ([provider, worker]) => {
        try {
          await Promise.race([worker.close(true), sleep(5_000)]);
        } catch (err) {
          this.#logger.error({ err, provider }, 'cannot close analysis worker');
        }
      }),
    );
  }
}
