import { type ProviderId, WindowJob } from '@turbostream/contracts';
import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { Queue } from 'bullmq';
import { analysisJobOptions, analysisQueueName, queueOptions, WINDOW_JOB_NAME } from './analysis-queue.js';

/** One analysis job to store: the provider whose queue takes it, its id, its data. */
export interface AnalysisJobSpec {
  provider: ProviderId;
  /** `windowJobId(streamId, windowId, target)`: the same window and target always map onto the same job. */
  jobId: string;
  data: WindowJob;
}

export interface AnalysisProducerOptions {
  /** Shared with BullMQ, which neither duplicates nor closes a connection it is given. */
  redis: RedisClient;
  keys: KeyLayout;
  /** Errors of a queue's own connection handling (command errors reach the caller). */
  onError?: (err: Error, provider: ProviderId) => void;
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

/** The job states `counts` reports, as `turbostream streams` shows them. */
export const COUNTED_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobCounts = Record<(typeof COUNTED_STATES)[number], number>;

/**
 * What adds analysis jobs and reads their counts: one BullMQ queue per
 * provider, created on first use, with a briefly cached count of each
 * one's backlog (the windower's backpressure reads it for every window).
 */
export class AnalysisProducer {
  readonly #options: AnalysisProducerOptions;
  readonly #clock: () => number;
  readonly #countTtlMs: number;
  readonly #queues = new Map<ProviderId, Queue<WindowJob>>();
  readonly #counts = new Map<ProviderId, CachedCount>();
  readonly #stateCounts = new Map<ProviderId, { at: number; counts: Promise<JobCounts> }>();

  constructor(options: AnalysisProducerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#countTtlMs = options.countTtlMs ?? 1_000;
  }

  #queue(provider: ProviderId): Queue<WindowJob> {
    let queue = this.#queues.get(provider);
    if (!queue) {
      queue = new Queue<WindowJob>(analysisQueueName(provider), {
        connection: this.#options.redis,
        ...queueOptions(this.#options.keys),
        defaultJobOptions: analysisJobOptions(this.#options.attempts ?? 5),
      });
      queue.on('error', (err) => this.#options.onError?.(err, provider));
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
    const count = this.#queue(provider).getJobCountByTypes('waiting', 'prioritized', 'delayed');
    this.#counts.set(provider, { at: now, count });
    count.catch(() => this.#counts.delete(provider));
    return count;
  }

  /** The provider's jobs per state, read now. */
  async counts(provider: ProviderId): Promise<JobCounts> {
    const counts = await this.#queue(provider).getJobCounts(...COUNTED_STATES);
    return Object.fromEntries(COUNTED_STATES.map((state) => [state, counts[state] ?? 0])) as JobCounts;
  }

  /**
   * {@link counts}, reused for `maxAgeMs` (the metrics' scrape-time read: one read however many scrapers ask). A failed
   * read is not kept.
   */
  cachedCounts(provider: ProviderId, maxAgeMs = 1_000): Promise<JobCounts> {
    const now = this.#clock();
    const cached = this.#stateCounts.get(provider);
    if (cached && now - cached.at < maxAgeMs) return cached.counts;
    const counts = this.counts(provider);
    this.#stateCounts.set(provider, { at: now, counts });
    counts.catch(() => this.#stateCounts.delete(provider));
    return counts;
  }

  /** The stored job with this id, when there is one holding a valid {@link WindowJob}. */
  async storedJob(provider: ProviderId, jobId: string): Promise<WindowJob | undefined> {
    const parsed = WindowJob.safeParse((await this.#queue(provider).getJob(jobId))?.data);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Stores the jobs, one `addBulk` per provider. BullMQ leaves a job whose id
   * already exists untouched, so adding a window again is harmless.
   */
  async add(jobs: readonly AnalysisJobSpec[]): Promise<void> {
    const byProvider = new Map<ProviderId, AnalysisJobSpec[]>();
    for (const job of jobs) byProvider.set(job.provider, [...(byProvider.get(job.provider) ?? []), job]);
    await Promise.all(
      [...byProvider].map(async ([provider, specs]) => {
        await this.#queue(provider).addBulk(
          specs.map((spec) => ({ name: WINDOW_JOB_NAME, data: spec.data, opts: { jobId: spec.jobId } })),
        );
        const cached = this.#counts.get(provider);
        if (cached)
          this.#counts.set(provider, { at: cached.at, count: cached.count.then((count) => count + specs.length) });
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
