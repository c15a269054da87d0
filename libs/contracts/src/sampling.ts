import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatTarget } from './target.js';

/**
 * The share of a stream's windows a comparison target analyses: above 0, at most 1 (every window). The stream's own
 * target has none: it analyses every window.
 */
export const SampleRate = z
  .number({ error: 'expected a share of windows above 0 and at most 1' })
  .gt(0, { error: 'expected a share of windows above 0 and at most 1' })
  .lte(1, { error: 'expected a share of windows above 0 and at most 1' });

/**
 * The comparison targets that analyse only a share of the windows, by `formatTarget` (`provider/model`); a target
 * not named analyses every window. Kept beside a stream's targets, never in an `AnalysisTarget` (job and alert ids are
 * made of those).
 */
export const TargetSamples = z.record(z.string(), SampleRate);
export type TargetSamples = z.infer<typeof TargetSamples>;

interface TargetRef {
  readonly provider: string;
  readonly model: string;
}

/** The share of windows `target` analyses: its sample, 1 when it has none. */
export function sampleOf(samples: TargetSamples | undefined, target: TargetRef): number {
  return samples?.[formatTarget(target)] ?? 1;
}

/** Only the samples below 1 (the others say nothing), or undefined when none is left. */
export function partialSamples(entries: Iterable<[TargetRef, number]>): TargetSamples | undefined {
  const samples: TargetSamples = {};
  for (const [target, sample] of entries) if (sample < 1) samples[formatTarget(target)] = sample;
  return Object.keys(samples).length > 0 ? samples : undefined;
}

/**
 * Where a window falls for a target, in [0, 1): from a SHA-256 of `streamId/windowId/provider/model`, so every
 * windower decides the same, a window cut again decides as before, and each target samples its own windows.
 */
export function samplePoint(streamId: string, windowId: string, target: TargetRef): number {
  const digest = createHash('sha256').update(`${streamId}/${windowId}/${target.provider}/${target.model}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** True when `target`, which analyses `sample` of the windows, analyses this one. A sample of 1 takes every window. */
export function sampledIn(streamId: string, windowId: string, target: TargetRef, sample: number): boolean {
  return sample >= 1 || samplePoint(streamId, windowId, target) < sample;
}

/** A target as people read and type it, with its sample when it has one: `openai/gpt-4.1-mini@0.1`. */
export function formatSampledTarget(target: TargetRef, sample: number): string {
  return sample < 1 ? `${formatTarget(target)}@${sample}` : formatTarget(target);
}

/** A stream's targets as people read them: `heuristic/heuristic, openai/gpt-4.1-mini@0.1`. */
export function formatTargets(targets: readonly TargetRef[], samples?: TargetSamples): string {
  return targets
    .map((target, index) => formatSampledTarget(target, index === 0 ? 1 : sampleOf(samples, target)))
    .join(', ');
}
