import {
  compareEntryIds,
  PROVIDER_IDS,
  type ProviderId,
  type Window,
  WindowJob,
  WindowJobResult,
} from '@turbostream/contracts';
import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { type JobType, Queue } from 'bullmq';
import { analysisQueueName, queueOptions } from './analysis-queue.js';

const EVERY_STATE: JobType[] = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
  'waiting-children',
];

export interface StoredWindowJob {
  jobId: string;
  /** The job's state when it was read. */
  state: JobType;
  /** Attempts used up so far (rate limits use none). */
  attemptsMade: number;
  job: WindowJob;
  /** What a completed job returned (undefined for any other state, or a result that does not parse). */
  result: WindowJobResult | undefined;
  /** Why a failed job failed. */
  failedReason: string | undefined;
}

/**
 * Reads back every stored analysis job of one stream, in window order, from
 * the queues of `providers` (all by default). For tests, the end-to-end
 * suite and diagnostics; it loads every job, so not for hot paths.
 * A job whose data is not a valid {@link WindowJob} is an error. States are
 * read one after another: a job that moves between them meanwhile (taken by a
 * worker, handed back) can be missed by one reading, so read again, or
 * wait until the jobs are still, where every job must be seen.
 */
export async function listWindowJobs(options: {
  redis: RedisClient;
  keys: KeyLayout;
  streamId: string;
  providers?: readonly ProviderId[];
}): Promise<StoredWindowJob[]> {
  const found: StoredWindowJob[] = [];
  for (const provider of options.providers ?? PROVIDER_IDS) {
    const queue = new Queue<unknown>(analysisQueueName(provider), {
      connection: options.redis,
      ...queueOptions(options.keys),
    });
    try {
      for (const state of EVERY_STATE) {
        for (const job of await queue.getJobs(state)) {
          const parsed = WindowJob.safeParse(job.data);
          if (!parsed.success)
            throw new Error(`job ${job.id} in ${queue.name} is not a WindowJob: ${parsed.error.message}`);
          if (parsed.data.window.streamId !== options.streamId) continue;
          const result = state === 'completed' ? WindowJobResult.safeParse(job.returnvalue) : undefined;
          found.push({
            jobId: job.id ?? '',
            state,
            attemptsMade: job.attemptsMade,
            job: parsed.data,
            result: result?.success ? result.data : undefined,
            failedReason: state === 'failed' ? job.failedReason : undefined,
          });
        }
      }
    } finally {
      await queue.close();
    }
  }
  return found.sort(
    (a, b) => compareEntryIds(a.job.window.windowId, b.job.window.windowId) || a.jobId.localeCompare(b.jobId),
  );
}

/** The distinct windows of one stream's stored jobs, in order. */
export async function listWindows(options: {
  redis: RedisClient;
  keys: KeyLayout;
  streamId: string;
  providers?: readonly ProviderId[];
}): Promise<Window[]> {
  const windows = new Map<string, Window>();
  for (const { job } of await listWindowJobs(options)) windows.set(job.window.windowId, job.window);
  return [...windows.values()];
}
