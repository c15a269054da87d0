import { z } from 'zod';
import { Severity } from './alert.js';

/** What every outcome names: the job, its window and target, and the analyzer that recorded it. */
const outcomeOf = {
  v: z.literal(1),
  /** The job's id (`windowJobId`): deterministic, so a job recorded twice as completed is counted once. */
  jobId: z.string(),
  streamId: z.string(),
  windowId: z.string(),
  provider: z.string(),
  model: z.string(),
  /** Messages in the window (gaps not counted). */
  messages: z.number().int().nonnegative(),
  analyzer: z.string(),
};

/** A window analysed: its timings, usage, cost, and each alert's severity and evidence (entry ids), in alert order. */
export const CompletedAnalysis = z.object({
  ...outcomeOf,
  outcome: z.literal('completed'),
  ttftMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** `null` when the model has no price. */
  costUsd: z.number().nonnegative().nullable(),
  alerts: z.array(z.object({ severity: Severity, evidence: z.array(z.string()) })),
});
export type CompletedAnalysis = z.infer<typeof CompletedAnalysis>;

/** A window that failed for good (attempts used up, or a failure that no retry mends). */
export const FailedAnalysis = z.object({
  ...outcomeOf,
  outcome: z.literal('failed'),
  reason: z.string(),
});
export type FailedAnalysis = z.infer<typeof FailedAnalysis>;

/** A call the provider refused with a 429; the job went back to wait. One per 429. */
export const RateLimitedAnalysis = z.object({
  ...outcomeOf,
  outcome: z.literal('rate-limited'),
  /** How long the provider asked to wait, when it said. */
  retryAfterMs: z.number().nonnegative().nullable(),
});
export type RateLimitedAnalysis = z.infer<typeof RateLimitedAnalysis>;

/**
 * One outcome of an analysis job, schema version 1: the analyzer appends one per outcome to the capped stream
 * `<namespace>:analyses` (field `record`, JSON; the entry id's time is when it was recorded), and
 * `turbostream report` reads them back. Compact on purpose: no window, no alert text.
 */
export const AnalysisRecord = z.discriminatedUnion('outcome', [CompletedAnalysis, FailedAnalysis, RateLimitedAnalysis]);
export type AnalysisRecord = z.infer<typeof AnalysisRecord>;
export type AnalysisOutcome = AnalysisRecord['outcome'];
