import type { ProviderId } from '@turbostream/contracts';
import type { KeyLayout } from '@turbostream/redis';
import type { DefaultJobOptions } from 'bullmq';

/**
 * Each provider has its own queue, `analysis-<provider>`: a job can only be
 * taken by an analyzer that holds that provider, and one provider's rate
 * limit never stalls another's work.
 */
export function analysisQueueName(provider: ProviderId): string {
  return `analysis-${provider}`;
}

/** The job name analysis jobs are stored under. */
export const WINDOW_JOB_NAME = 'window';

/** Options shared by every analysis queue's BullMQ objects. */
export function queueOptions(keys: KeyLayout): { prefix: string } {
  return { prefix: keys.queuePrefix };
}

/**
 * Job options for analysis jobs. Completed jobs are kept for a day so that a
 * windower re-adding a window after a crash hits the existing job id (BullMQ
 * only deduplicates while the earlier job exists); failed jobs are kept for a
 * week as the record of why a window could not be analysed.
 */
export const ANALYSIS_JOB_OPTIONS: DefaultJobOptions = analysisJobOptions(5);

/** {@link ANALYSIS_JOB_OPTIONS} with another number of attempts (`ANALYZER_ATTEMPTS`). */
export function analysisJobOptions(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
