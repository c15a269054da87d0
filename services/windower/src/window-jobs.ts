import { type ProviderId, sampledIn, sampleOf, type Window, windowJobId } from '@turbostream/contracts';
import type { StreamConfig } from '@turbostream/config';
import type { AnalysisJobSpec } from '@turbostream/queue';

/** One analysis job to store: what BullMQ needs, and the provider whose queue takes it. */
export type WindowJobSpec = AnalysisJobSpec;

/**
 * The targets that analyse this window: the stream's own target always, each comparison target when the window falls
 * in its sample (decided from the window id and the target alone, so every windower, and a window cut again, decides
 * the same).
 */
export function windowTargets(stream: StreamConfig, windowId: string): StreamConfig['targets'] {
  return stream.targets.filter(
    (target, index) => index === 0 || sampledIn(stream.id, windowId, target, sampleOf(stream.samples, target)),
  );
}

/** One job per analysis target of the window (see windowTargets); none for a window without messages. */
export function windowJobs(stream: StreamConfig, window: Window, enqueuedAt: number): WindowJobSpec[] {
  if (window.messages.length === 0) return [];
  return windowTargets(stream, window.windowId).map(({ provider, model }) => ({
    provider,
    jobId: windowJobId(stream.id, window.windowId, { provider, model }),
    data: {
      v: 1,
      target: { provider, model },
      instructions: stream.instructions,
      window,
      ...(stream.budget ? { budget: stream.budget } : {}),
      enqueuedAt,
    },
  }));
}

/** How many jobs each window of this stream puts on each provider's queue, at most (a sampled target counts whole). */
export function jobsPerWindow(stream: StreamConfig): Map<ProviderId, number> {
  const counts = new Map<ProviderId, number>();
  for (const target of stream.targets) counts.set(target.provider, (counts.get(target.provider) ?? 0) + 1);
  return counts;
}
