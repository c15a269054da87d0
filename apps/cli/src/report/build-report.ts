/**
 * `turbostream report`'s whole result, read from Redis: the analysis records (the analyzers' `<namespace>:analyses`)
 * of the last `sinceMs` by Redis's clock, scored per stream and target. The command prints it; the dashboard's
 * providers view shows it.
 */
import type { StreamConfig } from '@turbostream/config';
import { formatTarget } from '@turbostream/contracts';
import {
  ANALYSIS_LOG_MAX_LENGTH,
  type KeyLayout,
  type LoggedAnalysis,
  type RedisClient,
  readAnalysisLog,
  readTargetOverrides,
  serverTime,
} from '@turbostream/redis';
import type { Report } from './format-report.js';
import { scoreboard } from './scoreboard.js';

/**
 * The report of every stream or one (`stream`). The streams of `streams` (the streams file's) are listed even without
 * records, and give each stream's target order (its own target first; targets set while running win).
 */
export async function buildReport(options: ReportOptions): Promise<Report> {
  return (await buildReportWithRecords(options)).report;
}

export interface ReportOptions {
  redis: RedisClient;
  keys: KeyLayout;
  streams: readonly StreamConfig[];
  stream?: string;
  /** The period as given (`1h`) and in ms. */
  since: string;
  sinceMs: number;
}

/**
 * The report, and what it was made of: the period's records (oldest first), each stream's target order, and the
 * period's end by Redis's clock (for the dashboard's compare view and rates).
 */
export async function buildReportWithRecords(options: ReportOptions): Promise<{
  report: Report;
  records: readonly LoggedAnalysis[];
  order: (streamId: string) => string[];
  to: number;
}> {
  const { redis, keys, streams: configured } = options;
  const to = await serverTime(redis, keys.analyses);
  const from = to - options.sinceMs;
  const read = await readAnalysisLog(redis, keys, { from });
  const overrides = await readTargetOverrides(redis, keys);
  const wanted = (streamId: string) => options.stream === undefined || streamId === options.stream;
  const records = read.analyses.filter(({ record }) => wanted(record.streamId));
  const order = (streamId: string) => {
    const targets =
      overrides.get(streamId)?.targets ?? configured.find((stream) => stream.id === streamId)?.targets ?? [];
    return targets.map(formatTarget);
  };
  const board = scoreboard(records, order);
  const listed = new Set(board.streams.map((stream) => stream.streamId));
  const streams = [
    ...board.streams,
    ...configured
      .filter((stream) => wanted(stream.id) && !listed.has(stream.id))
      .map((stream) => ({ streamId: stream.id, targets: [], agreement: [] })),
  ].sort((left, right) => left.streamId.localeCompare(right.streamId));
  if (options.stream !== undefined && streams.length === 0)
    streams.push({ streamId: options.stream, targets: [], agreement: [] });
  const report: Report = {
    v: 1,
    since: options.since,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    stream: options.stream ?? null,
    log: {
      key: keys.analyses,
      records: records.length,
      unreadable: read.unreadable,
      duplicates: board.duplicates,
      oldestHeld: read.oldestHeld === undefined ? null : new Date(read.oldestHeld).toISOString(),
      length: read.length,
      maxLength: ANALYSIS_LOG_MAX_LENGTH,
      trimmed: read.length >= ANALYSIS_LOG_MAX_LENGTH && read.oldestHeld !== undefined && read.oldestHeld > from,
    },
    streams,
  };
  return { report, records, order, to };
}
