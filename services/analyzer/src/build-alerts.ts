import { Alert, alertId, type WindowJob } from '@turbostream/contracts';
import type { AnalysisResult } from '@turbostream/providers';

export interface AlertTiming {
  /** Epoch ms at which the job was created (BullMQ `job.timestamp`). */
  enqueuedAt: number;
  /** Epoch ms at which this attempt started (BullMQ `job.processedOn`). */
  startedAt: number;
  /** Epoch ms now, stamped as `createdAt`. */
  now: number;
}

/** Evidence the model cited that is really in the window, each id once, in the order given. */
export function keepWindowEvidence(evidence: readonly string[], windowIds: ReadonlySet<string>): string[] {
  return [...new Set(evidence)].filter((id) => windowIds.has(id));
}

/**
 * Turns a validated answer into published alerts (schema version 1). Ids are
 * deterministic from the window, the target and the alert's place in the
 * answer, so a retried job yields the same ids and publishes nothing twice.
 * `usage` is the window's call (a repair's two calls added up): its tokens and `costUsd`, in US dollars or `null`
 * when the model has no price, are the same on every alert of the window.
 */
export function buildAlerts(
  job: WindowJob,
  result: AnalysisResult,
  timing: AlertTiming,
  costUsd: number | null = null,
): Alert[] {
  const { window, target } = job;
  const windowIds = new Set([...window.messages.map((message) => message.id), ...window.gaps.map((gap) => gap.id)]);
  const createdAt = new Date(timing.now).toISOString();
  return result.answer.alerts.map((answer, index) =>
    Alert.parse({
      v: 1,
      id: alertId(window.streamId, window.windowId, target, index),
      streamId: window.streamId,
      windowId: window.windowId,
      severity: answer.severity,
      title: answer.title,
      summary: answer.summary,
      evidence: keepWindowEvidence(answer.evidence, windowIds),
      provider: target.provider,
      model: target.model,
      window: {
        messages: window.messages.length,
        from: new Date(window.from).toISOString(),
        to: new Date(window.to).toISOString(),
      },
      timings: {
        queuedMs: Math.max(0, timing.startedAt - timing.enqueuedAt),
        ttftMs: Math.max(0, Math.round(result.timings.ttftMs)),
        totalMs: Math.max(0, Math.round(result.timings.totalMs)),
      },
      usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, costUsd },
      createdAt,
    }),
  );
}
