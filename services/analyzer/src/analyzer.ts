import type { AnalyzerSettings, LlmSettings } from '@turbostream/config';
import type { ProviderId, WindowJobResult } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { AnalysisProvider } from '@turbostream/providers';
import { analysisQueueName, queueOptions } from '@turbostream/queue';
import { AlertPublisher, AnalyzerPresence, EventPublisher, type KeyLayout, type RedisClient } from '@turbostream/redis';
import { type Job, Queue, Worker } from 'bullmq';
import { failureContext } from './failure-context.js';
import { ProviderCooldown } from './provider-cooldown.js';
import { WindowJobProcessor } from './window-job-processor.js';

export interface AnalyzerOptions {
  /** Publishes alerts, events and dead letters. */
  redis: RedisClient;
  /** BullMQ's connection, created with `maxRetriesPerRequest: null`; workers duplicate it for blocking reads. */
  connection: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** @defaultValue an EventPublisher on `redis` for service `analyzer` */
  events?: EventPublisher;
  /** The configured providers; one worker listens to each one's queue. */
  providers: ReadonlyMap<ProviderId, AnalysisProvider>;
  settings: AnalyzerSettings;
  llm: LlmSettings;
  /** Worker name, shown as `job.processedBy`, and `analyzer` in job results. */
  instanceId: string;
  /** @defaultValue Date.now */
  clock?: () => number;
  /**
   * How long `close()` waits for active jobs before cancelling them.
   * @defaultValue settings.lockMs
   */
  drainTimeoutMs?: number;
  /**
   * Wait after a 429 that did not say how long.
   * @defaultValue 10000
   */
  rateLimitDelayMs?: number;
  /**
   * How often to check that every worker's main loop still runs (it can end after a Redis
   * error, leaving a worker that no longer consumes); a stopped one is restarted.
   * @defaultValue 5000
   */
  livenessIntervalMs?: number;
  /**
   * Longest wait honoured from a provider's Retry-After.
   * @defaultValue 600000
   */
  maxRateLimitDelayMs?: number;
}

function sleep(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}

/** How often a worker looks for the jobs of crashed analyzers: a quarter of the lock, at least once a second. */
export function stalledCheckInterval(lockMs: number): number {
  return Math.max(1_000, Math.round(lockMs / 4));
}

/**
 * The analyzer: one BullMQ worker per configured provider, each on that
 * provider's queue. Jobs run only with the provider they name; failures are
 * decided before BullMQ sees them; a window that fails for good is announced
 * as a `window.failed` event.
 */
export class Analyzer {
  readonly #options: AnalyzerOptions;
  readonly #logger: Logger;
  readonly #events: EventPublisher;
  readonly #processor: WindowJobProcessor;
  readonly #workers = new Map<ProviderId, Worker<unknown, WindowJobResult>>();
  /** One handle per served queue, to pause it while its provider rate-limits us. */
  readonly #queues = new Map<ProviderId, Queue>();
  readonly #pending = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  #liveness: NodeJS.Timeout | undefined;
  #presence: AnalyzerPresence | undefined;

  constructor(options: AnalyzerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const clock = options.clock ?? Date.now;
    this.#events = options.events ?? new EventPublisher({ redis: options.redis, keys: options.keys, service: 'analyzer', onError: (err) => this.#logger.error({ err }, 'cannot publish event') });
    this.#processor = new WindowJobProcessor({
      redis: options.redis,
      keys: options.keys,
      logger: options.logger,
      publisher: new AlertPublisher({ redis: options.redis, keys: options.keys }),
      providers: options.providers,
      llm: options.llm,
      instanceId: options.instanceId,
      clock,
      rateLimitDelayMs: options.rateLimitDelayMs ?? 10_000,
      maxRateLimitDelayMs: options.maxRateLimitDelayMs ?? 600_000,
      maxStarts: Math.max(50, options.settings.attempts * 10),
      onRateLimited: (provider, waitMs) => this.#pauseProvider(provider, waitMs),
      cooldown: new ProviderCooldown({ redis: options.redis, keys: options.keys }),
    });
  }

  /** The providers this analyzer serves. */
  get providers(): ProviderId[] {
    return [...this.#options.providers.keys()];
  }

  /** Starts one worker per configured provider and waits until each is connected. */
  async start(): Promise<void> {
    if (this.#closing) throw new Error('analyzer is closed');
    if (this.#workers.size > 0) return;
    const { settings, connection, keys, instanceId } = this.#options;
    for (const provider of this.#options.providers.keys()) {
      const worker = new Worker<unknown, WindowJobResult>(analysisQueueName(provider), (job, token, signal) => this.#processor.process(job, token, signal), {
        ...queueOptions(keys),
        connection,
        name: instanceId,
        concurrency: settings.concurrency,
        lockDuration: settings.lockMs,
        // A crashed analyzer's job goes back to the queue at the first stalled check after its lock
        // expired (up to lockMs after the crash): checking four times a lock period bounds the takeover
        // at about 1.25 × lockMs (it was up to 2 × with one check a period).
        stalledInterval: stalledCheckInterval(settings.lockMs),
        maxStalledCount: 2,
      });
      worker.on('error', (err) => this.#logger.error({ err, provider }, 'analysis worker error'));
      worker.on('failed', (job, err) => this.#track(this.#onFailed(provider, job, err)));
      this.#workers.set(provider, worker);
    }
    await Promise.all([...this.#workers.values()].map((worker) => worker.waitUntilReady()));
    this.#liveness = setInterval(() => this.#checkLiveness(), this.#options.livenessIntervalMs ?? 5_000);
    this.#liveness.unref();
    // Tell windowers which providers have a live analyzer, so jobs nobody can run are reported, not left waiting silently.
    this.#presence = new AnalyzerPresence({
      redis: this.#options.redis,
      keys,
      instanceId,
      providers: this.providers,
      concurrency: settings.concurrency,
      onError: (err) => this.#logger.warn({ err }, 'analyzer heartbeat failed'),
    });
    await this.#presence.start();
    this.#logger.info({ providers: this.providers, instanceId, concurrency: settings.concurrency }, 'analyzer started');
  }

  /** Stops taking jobs, lets active ones finish until the drain deadline, cancels the rest, then closes the workers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Pauses one provider's queue for every analyzer until its rate limit should have passed. */
  async #pauseProvider(provider: ProviderId, waitMs: number): Promise<void> {
    let queue = this.#queues.get(provider);
    if (!queue) {
      queue = new Queue(analysisQueueName(provider), { ...queueOptions(this.#options.keys), connection: this.#options.connection });
      queue.on('error', (err) => this.#logger.debug({ err, provider }, 'analysis queue error'));
      this.#queues.set(provider, queue);
    }
    try {
      await queue.rateLimit(waitMs);
    } catch (err) {
      this.#logger.warn({ err, provider }, 'cannot pause the rate-limited provider queue');
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

  async #close(): Promise<void> {
    clearInterval(this.#liveness);
    await this.#presence?.close();
    const workers = [...this.#workers.entries()];
    const deadline = this.#options.drainTimeoutMs ?? this.#options.settings.lockMs;
    await Promise.all(
      workers.map(async ([provider, worker]) => {
        try {
          const drained = worker.pause().then(() => 'drained' as const);
          if ((await Promise.race([drained, sleep(deadline)])) === 'timeout') {
            this.#logger.warn({ provider, deadlineMs: deadline }, 'active jobs did not finish in time; cancelling them');
            worker.cancelAllJobs('analyzer shutting down');
            await Promise.race([drained, sleep(2_000)]);
          }
        } catch (err) {
          this.#logger.error({ err, provider }, 'cannot drain analysis worker');
        }
      }),
    );
    await Promise.race([Promise.allSettled([...this.#pending]), sleep(2_000)]);
    await Promise.all(
      workers.map(async ([provider, worker]) => {
        try {
          await Promise.race([worker.close(true), sleep(5_000)]);
        } catch (err) {
          this.#logger.error({ err, provider }, 'cannot close analysis worker');
        }
      }),
    );
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => {})));
    this.#logger.info({ instanceId: this.#options.instanceId }, 'analyzer stopped');
  }

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work)).catch(() => {});
  }

  /** Announces a window that failed for good; a failure that will be retried is only logged. */
  async #onFailed(provider: ProviderId, job: Job<unknown, WindowJobResult> | undefined, err: Error): Promise<void> {
    try {
      if (!job) {
        this.#logger.error({ err, provider }, 'analysis job failed and was removed');
        return;
      }
      const attempts = job.opts.attempts ?? 1;
      const final = err.name === 'UnrecoverableError' || job.attemptsMade >= attempts;
      if (!final) {
        this.#logger.warn({ err, provider, jobId: job.id, attemptsMade: job.attemptsMade, attempts }, 'analysis attempt failed; will retry');
        return;
      }
      const context = failureContext(job.data);
      const reason = err.message;
      this.#logger.error({ jobId: job.id, ...context, provider: context.provider ?? provider, attemptsMade: job.attemptsMade, reason }, 'window analysis failed');
      await this.#events.publish({
        type: 'window.failed',
        ...(context.streamId ? { streamId: context.streamId } : {}),
        message: `window ${context.windowId ?? '?'} of ${context.streamId ?? '?'} failed with ${context.provider ?? provider}/${context.model ?? '?'}: ${reason}`,
        details: { windowId: context.windowId, provider: context.provider ?? provider, model: context.model, reason, jobId: job.id, attemptsMade: job.attemptsMade, analyzer: this.#options.instanceId },
      });
    } catch (error) {
      this.#logger.error({ err: error, provider }, 'cannot report a failed window');
    }
  }
}
