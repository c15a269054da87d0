import { type ProviderId, type Window, windowJobId } from '@turbostream/contracts';
import type { StreamConfig } from '@turbostream/config';
import type { AnalysisJobSpec } from '@turbostream/queue';

/** One analysis job to store: what BullMQ needs, and the provider whose queue takes it. */
export type WindowJobSpec = AnalysisJobSpec;

/** One job per analysis target of the stream; none for a window without messages. */
export function windowJobs(stream: StreamConfig, window: Window, enqueuedAt: number): WindowJobSpec[] {
  if (window.messages.length === 0) return [];
  return stream.targets.map((target) => ({
    provider: target.provider,
    jobId: windowJobId(stream.id, window.windowId, target),
    data: {
      v: 1,
      target,
      instructions: stream.instructions,
      window,
      ...(stream.budget ? { budget: stream.budget } : {}),
      enqueuedAt,
    },
  }));
}

/** How many jobs each window of this stream puts on each provider's queue. */
export function jobsPerWindow(stream: StreamConfig): Map<ProviderId, number> {
  const counts = new Map<ProviderId, number>();
  for (const target of stream.targets) counts.set(target.provider, (counts.get(target.provider) ?? 0) + 1);
  return counts;
}
