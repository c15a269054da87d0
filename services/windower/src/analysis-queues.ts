import type { ProviderId, WindowJob } from '@turbostream/contracts';
import { analysisJobOptions, analysisQueueName, queueOptions } from '@turbostream/queue';
import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { Queue } from 'bullmq';
import type { Logger } from '@turbostream/logging';
import { WINDOW_JOB_NAME, type WindowJobSpec } from './window-jobs.js';

export interface AnalysisQueuesOptions {
  /** Shared with BullMQ, which neither duplicates nor closes a connection it is given. */
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** @defaultValue `Date.now` */
  clock?: () => number;
  /**
   * How long a queue's backlog count is reused before it is read again.
   * @defaultValue 1000
   */
  countTtlMs?: number;
  /**
   * Attempts per analysis job for transient failures (rate limits do not use them up).
   * @defaultValue 5
   */
  attempts?: number;
}

interface CachedCount {
  at: number;
  count: Promise<number>;
}

/**
 * The BullMQ queues the windower adds analysis jobs to, one per provider,
 * created on first use, with a briefly cached count of each one's backlog.
 */
export class AnalysisQueues {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #countTtlMs: number;
  readonly #attempts: number;
  readonly #queues = new Map<ProviderId, Queue<WindowJob>>();
  readonly #counts = new Map<ProviderId, CachedCount>();

  constructor(options: AnalysisQueuesOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
    this.#countTtlMs = options.countTtlMs ?? 1_000;
    this.#attempts = options.attempts ?? 5;
  }

  queue(provider: ProviderId): Queue<WindowJob> {
    let queue = this.#queues.get(provider);
    if (!queue) {
      queue = new Queue<WindowJob>(analysisQueueName(provider), {
        connection: this.#redis,
        ...queueOptions(this.#keys),
        defaultJobOptions: analysisJobOptions(this.#attempts),
      });
      // Command errors reach the caller; connection errors are also the shared connection's, logged by its owner.
      queue.on('error', (err) => this.#logger.debug({ err, provider }, 'analysis queue error'));
      this.#queues.set(provider, queue);
    }
    return queue;
  }

  /**
   * Jobs in the provider's queue that no worker has taken yet (waiting,
   * prioritized, or delayed for a retry; BullMQ counts a paused queue's as waiting). Cached for `countTtlMs`.
   */
  async backlog(provider: ProviderId): Promise<number> {
    const now = this.#clock();
    const cached = this.#counts.get(provider);
    if (cached && now - cached.at < this.#countTtlMs) return cached.count;
    const count = this.queue(provider).getJobCountByTypes('waiting', 'prioritized', 'delayed');
    this.#counts.set(provider, { at: now, count });
    count.catch(() => this.#counts.delete(provider));
    return count;
  }

  /**
   * Stores the jobs, one `addBulk` per provider. BullMQ leaves a job whose id
   * already exists untouched, so adding a window again is harmless.
   */
  async add(jobs: readonly WindowJobSpec[]): Promise<void> {
    const byProvider = new Map<ProviderId, WindowJobSpec[]>();
    for (const job of jobs) {
      const specs = byProvider.get(job.provider);
      if (specs) specs.push(job);
      else byProvider.set(job.provider, [job]);
    }
    await Promise.all(
      [...byProvider].map(async ([provider, specs]) => {
        await this.queue(provider).addBulk(specs.map((spec) => ({ name: WINDOW_JOB_NAME, data: spec.data, opts: { jobId: spec.jobId } })));
        const cached = this.#counts.get(provider);
        if (cached) this.#counts.set(provider, { at: cached.at, count: cached.count.then((count) => count + specs.length) });
      }),
    );
  }

  /** Closes every queue this object created; the connection stays open. */
  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.allSettled(queues.map((queue) => queue.close()));
  }
}
