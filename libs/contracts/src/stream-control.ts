import { z } from 'zod';
import { TargetSamples } from './sampling.js';
import { AnalysisTarget, ProviderId } from './target.js';

/**
 * A stream's analysis targets set while running (`turbostream streams set`),
 * overriding the streams file from the next window on. Version 1.
 */
export const StreamTargetOverride = z.object({
  v: z.literal(1),
  /** The stream's target first, then its comparison targets. */
  targets: z.array(AnalysisTarget).min(1),
  /** The comparison targets that analyse only a share of the windows (`provider/model@0.1`); absent: every window. */
  samples: TargetSamples.optional(),
  setAt: z.string(),
  /** Who set it (host and user), for `turbostream streams`. */
  setBy: z.string(),
});
export type StreamTargetOverride = z.infer<typeof StreamTargetOverride>;

/** What an analyzer says about itself in its heartbeat. Version 1. */
export const AnalyzerInfo = z.object({
  v: z.literal(1),
  instanceId: z.string(),
  providers: z.array(ProviderId),
  concurrency: z.number().int().positive(),
  startedAt: z.string(),
  lastSeen: z.number().int().nonnegative(),
});
export type AnalyzerInfo = z.infer<typeof AnalyzerInfo>;

/** A target whose provider no live analyzer serves, and what would configure it. */
export const UnservedTarget = z.object({
  provider: ProviderId,
  model: z.string(),
  /** Environment variables an analyzer needs to serve the provider. */
  variables: z.array(z.string()),
  /** Jobs waiting in the provider's queue. */
  waiting: z.number().int().nonnegative(),
  since: z.string(),
});
export type UnservedTarget = z.infer<typeof UnservedTarget>;

/** A stream's status as its windower last wrote it. Version 1. */
export const StreamStatus = z.object({
  v: z.literal(1),
  streamId: z.string(),
  owner: z.string(),
  targets: z.array(AnalysisTarget),
  /** True when the targets come from `turbostream streams set`, not the streams file. */
  overridden: z.boolean(),
  unserved: z.array(UnservedTarget),
  checkpoint: z.string().nullable(),
  backpressured: z.boolean(),
  updatedAt: z.string(),
});
export type StreamStatus = z.infer<typeof StreamStatus>;
