/**
 * The scoreboard of `turbostream report`, from the analysis records (libs/contracts' AnalysisRecord) of a period:
 * per stream and target, what was analysed, alerted, how fast and at what cost; and for each pair of targets of a
 * stream, how they agree on the windows both analysed. Pure: the command reads the records and prints the result.
 */
import { type AnalysisRecord, type CompletedAnalysis, formatTarget } from '@turbostream/contracts';
import type { Agreement, Percentiles, TargetScore } from './figures.js';

/** A record and when it was written (epoch ms). */
export interface TimedRecord {
  at: number;
  record: AnalysisRecord;
}

// The figures' types live with their formats (figures.ts), where the dashboard's page reads them too.
export type { Agreement, Percentiles, TargetScore } from './figures.js';

export interface StreamScore {
  streamId: string;
  targets: TargetScore[];
  /** One per pair of targets that analysed at least one window in common (the first target of the pair first). */
  agreement: Agreement[];
}

export interface Scoreboard {
  streams: StreamScore[];
  /** Records read, and completions dropped as a second record of a window and target already counted. */
  records: number;
  duplicates: number;
}

/** The value at the nearest rank: the smallest value with at least `p` % of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('no values');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** The p50 and p95 (nearest rank) of `values`; null for none. */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((left, right) => left - right);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** Dollars per 1,000 messages: null when no message was priced. */
export function usdPer1kMessages(costUsd: number, messages: number): number | null {
  return messages > 0 ? (costUsd / messages) * 1_000 : null;
}

/** |A ∩ B| / |A ∪ B|; undefined when both are empty. */
export function jaccard(left: ReadonlySet<string>, right: ReadonlySet<string>): number | undefined {
  const union = new Set([...left, ...right]);
  if (union.size === 0) return undefined;
  let common = 0;
  for (const id of left) if (right.has(id)) common += 1;
  return common / union.size;
}

function evidenceOf(record: CompletedAnalysis): Set<string> {
  return new Set(record.alerts.flatMap((alert) => alert.evidence));
}

/** How `a` and `b` agree on the windows both analysed (each: window id → its completed record). */
export function agreementOf(
  a: string,
  b: string,
  left: ReadonlyMap<string, CompletedAnalysis>,
  right: ReadonlyMap<string, CompletedAnalysis>,
): Agreement {
  const counts = { windows: 0, bothAlerted: 0, onlyA: 0, onlyB: 0, neither: 0 };
  const overlaps: number[] = [];
  for (const [windowId, mine] of left) {
    const theirs = right.get(windowId);
    if (!theirs) continue;
    counts.windows += 1;
    const alertedA = mine.alerts.length > 0;
    const alertedB = theirs.alerts.length > 0;
    if (alertedA && alertedB) {
      counts.bothAlerted += 1;
      const overlap = jaccard(evidenceOf(mine), evidenceOf(theirs));
      if (overlap !== undefined) overlaps.push(overlap);
    } else if (alertedA) counts.onlyA += 1;
    else if (alertedB) counts.onlyB += 1;
    else counts.neither += 1;
  }
  return {
    a,
    b,
    ...counts,
    agreementRate: counts.windows > 0 ? (counts.bothAlerted + counts.neither) / counts.windows : null,
    evidenceOverlap: overlaps.length > 0 ? overlaps.reduce((sum, value) => sum + value, 0) / overlaps.length : null,
    overlapWindows: overlaps.length,
  };
}

interface TargetRecords {
  provider: string;
  model: string;
  /** Window id → the completed record (the first of its job). */
  completed: Map<string, CompletedAnalysis>;
  failedJobs: Set<string>;
  rateLimited: number;
}

function scoreTarget(target: string, records: TargetRecords): TargetScore {
  const completed = [...records.completed.values()];
  const alerts = { info: 0, warning: 0, critical: 0, total: 0 };
  let messages = 0;
  let pricedMessages = 0;
  let costUsd = 0;
  let unpricedWindows = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let windowsWithAlerts = 0;
  for (const record of completed) {
    messages += record.messages;
    inputTokens += record.inputTokens;
    outputTokens += record.outputTokens;
    if (record.costUsd === null) unpricedWindows += 1;
    else {
      costUsd += record.costUsd;
      pricedMessages += record.messages;
    }
    if (record.alerts.length > 0) windowsWithAlerts += 1;
    for (const alert of record.alerts) {
      alerts[alert.severity] += 1;
      alerts.total += 1;
    }
  }
  return {
    target,
    provider: records.provider,
    model: records.model,
    windows: completed.length,
    messages,
    alerts,
    windowsWithAlerts,
    ttftMs: percentiles(completed.map((record) => record.ttftMs)),
    totalMs: percentiles(completed.map((record) => record.totalMs)),
    inputTokens,
    outputTokens,
    costUsd,
    usdPer1kMessages: usdPer1kMessages(costUsd, pricedMessages),
    unpricedWindows,
    failed: records.failedJobs.size,
    rateLimited: records.rateLimited,
  };
}

/**
 * The scoreboard of `records`. A job's completion counts once however many times it was recorded (a job run twice
 * after a lost lock): by its job id. `order(streamId)` gives the stream's targets (`provider/model`) in the order to
 * show them, its own target first; targets it does not name follow by name.
 */
export function scoreboard(
  records: readonly TimedRecord[],
  order: (streamId: string) => readonly string[] = () => [],
): Scoreboard {
  const streams = new Map<string, Map<string, TargetRecords>>();
  const completedJobs = new Set<string>();
  let duplicates = 0;
  for (const { record } of records) {
    const target = formatTarget(record);
    let targets = streams.get(record.streamId);
    if (!targets) {
      targets = new Map();
      streams.set(record.streamId, targets);
    }
    let entry = targets.get(target);
    if (!entry) {
      entry = {
        provider: record.provider,
        model: record.model,
        completed: new Map(),
        failedJobs: new Set(),
        rateLimited: 0,
      };
      targets.set(target, entry);
    }
    switch (record.outcome) {
      case 'completed':
        // A job run twice (its lock lost mid-call), or a window stored twice under another id: counted once.
        if (completedJobs.has(record.jobId) || entry.completed.has(record.windowId)) duplicates += 1;
        else {
          completedJobs.add(record.jobId);
          entry.completed.set(record.windowId, record);
        }
        break;
      case 'failed':
        entry.failedJobs.add(record.jobId);
        break;
      case 'rate-limited':
        entry.rateLimited += 1;
        break;
    }
  }
  const result: StreamScore[] = [];
  for (const [streamId, targets] of [...streams].sort(([left], [right]) => left.localeCompare(right))) {
    const wanted = order(streamId);
    const rank = (target: string) => {
      const index = wanted.indexOf(target);
      return index === -1 ? wanted.length : index;
    };
    const names = [...targets.keys()].sort((left, right) => rank(left) - rank(right) || left.localeCompare(right));
    const agreement: Agreement[] = [];
    names.forEach((a, index) => {
      for (const b of names.slice(index + 1)) {
        const pair = agreementOf(a, b, targets.get(a)?.completed ?? new Map(), targets.get(b)?.completed ?? new Map());
        if (pair.windows > 0) agreement.push(pair);
      }
    });
    result.push({
      streamId,
      targets: names.map((name) => scoreTarget(name, targets.get(name) as TargetRecords)),
      agreement,
    });
  }
  return { streams: result, records: records.length, duplicates };
}
