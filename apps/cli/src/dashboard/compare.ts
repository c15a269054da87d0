/**
 * The compare view's data and the streams' rates, from the analysis records `turbostream report` reads: each stream's
 * latest windows with what each target made of them, side by side; and the messages per minute of each stream (each
 * window's messages counted once, in the minute it was first recorded). Pure: tested as it is.
 */
import { formatTarget, type Severity } from '@turbostream/contracts';
import type { LoggedAnalysis } from '@turbostream/redis';
import type { DashboardCompareCell, DashboardCompareStream } from './api.js';

const RANK: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

/**
 * Per stream with more than one target (configured or recorded): its latest `limit` windows (by when they were last
 * recorded), newest first, and each target's outcome of each; a target that did not analyse a window (sampled out,
 * or not yet) has no cell.
 */
export function compareWindows(
  records: readonly LoggedAnalysis[],
  order: (streamId: string) => readonly string[],
  limit = 20,
): DashboardCompareStream[] {
  const streams = new Map<
    string,
    { targets: Set<string>; windows: Map<string, { at: number; cells: Map<string, DashboardCompareCell> }> }
  >();
  for (const { at, record } of records) {
    let stream = streams.get(record.streamId);
    if (!stream) {
      stream = { targets: new Set(order(record.streamId)), windows: new Map() };
      streams.set(record.streamId, stream);
    }
    const target = formatTarget(record);
    stream.targets.add(target);
    let window = stream.windows.get(record.windowId);
    if (!window) {
      window = { at, cells: new Map() };
      stream.windows.set(record.windowId, window);
    }
    window.at = Math.max(window.at, at);
    const previous = window.cells.get(target);
    // A completed analysis wins over a 429 or a failure recorded before it.
    if (previous && previous.outcome === 'completed') continue;
    if (record.outcome === 'completed') {
      let severity: Severity | null = null;
      for (const alert of record.alerts)
        if (severity === null || RANK[alert.severity] > RANK[severity]) severity = alert.severity;
      window.cells.set(target, { target, outcome: 'completed', alerts: record.alerts.length, severity });
    } else if (!previous || record.outcome === 'failed') {
      window.cells.set(target, { target, outcome: record.outcome, alerts: 0, severity: null });
    }
  }
  return [...streams.entries()]
    .filter(([, stream]) => stream.targets.size > 1)
    .map(([streamId, stream]) => ({
      streamId,
      targets: [...stream.targets],
      windows: [...stream.windows.entries()]
        .sort(([leftId, left], [rightId, right]) => right.at - left.at || rightId.localeCompare(leftId))
        .slice(0, limit)
        .map(([windowId, window]) => ({
          windowId,
          at: new Date(window.at).toISOString(),
          cells: [...window.cells.values()],
        })),
    }))
    .sort((left, right) => left.streamId.localeCompare(right.streamId));
}

/**
 * Messages per minute of each stream over the `minutes` minutes up to `to` (epoch ms), oldest first: each window's
 * messages once (whichever target recorded it first), in the minute of that record.
 */
export function messageRates(records: readonly LoggedAnalysis[], to: number, minutes = 30): Map<string, number[]> {
  const rates = new Map<string, number[]>();
  const seen = new Set<string>();
  const start = to - minutes * 60_000;
  for (const { at, record } of records) {
    const key = `${record.streamId}\u0000${record.windowId}`;
    if (seen.has(key) || at < start || at > to) continue;
    seen.add(key);
    let buckets = rates.get(record.streamId);
    if (!buckets) {
      buckets = new Array<number>(minutes).fill(0);
      rates.set(record.streamId, buckets);
    }
    const index = Math.min(minutes - 1, Math.floor((at - start) / 60_000));
    buckets[index] = (buckets[index] ?? 0) + record.messages;
  }
  return rates;
}
