/**
 * How the report writes its figures: the same in \`turbostream report\`'s table and on the dashboard's page, which
 * imports this module as is (it must stay free of Node, the DOM and any package).
 */

/** The p50 and p95 (nearest rank) of a list of milliseconds. */
export interface Percentiles {
  p50: number;
  p95: number;
}

export interface TargetScore {
  /** `provider/model`. */
  target: string;
  provider: string;
  model: string;
  /** Windows analysed (completed jobs, each job once) and the messages they held. */
  windows: number;
  messages: number;
  /** Alerts raised, by severity, and windows with at least one. */
  alerts: Record<'info' | 'warning' | 'critical', number> & { total: number };
  windowsWithAlerts: number;
  /** Time to first token and total time of the calls, in ms (nearest rank); null without a window. */
  ttftMs: Percentiles | null;
  totalMs: Percentiles | null;
  inputTokens: number;
  outputTokens: number;
  /** Dollars of the priced windows (a model without a price has `costUsd: null`). */
  costUsd: number;
  /** Dollars per 1,000 messages over the priced windows; null when none was priced. */
  usdPer1kMessages: number | null;
  /** Windows whose model had no price: not in costUsd nor in usdPer1kMessages. */
  unpricedWindows: number;
  /** Windows that failed for good, and 429s (each one: a job may meet several). */
  failed: number;
  rateLimited: number;
}

/** How two targets of a stream agree, on the windows both analysed. */
export interface Agreement {
  a: string;
  b: string;
  /** Windows both analysed. */
  windows: number;
  bothAlerted: number;
  onlyA: number;
  onlyB: number;
  neither: number;
  /** (bothAlerted + neither) / windows; null without a window. */
  agreementRate: number | null;
  /**
   * The mean, over the windows both alerted on (and cited at least one entry), of the Jaccard index of the entry ids
   * each cited (all its alerts together): 1 when they cite the same entries, 0 when none in common. Null without such
   * a window.
   */
  evidenceOverlap: number | null;
  overlapWindows: number;
}

/** 950, 12.4k, 1.24M */
export function compactCount(value: number): string {
  if (value < 10_000) return String(value);
  if (value < 1_000_000) return `${Number((value / 1_000).toPrecision(3))}k`;
  return `${Number((value / 1_000_000).toPrecision(3))}M`;
}

/** $0.0123, $1.25, $123: three significant digits, never in exponent form. */
export function dollars(value: number): string {
  if (value === 0) return '$0';
  if (value >= 100) return `$${Math.round(value)}`;
  return `$${Number(value.toPrecision(3)).toString()}`;
}

/** `412/980`: a p50 and p95 in whole milliseconds; `-` without one. */
export const pair = (value: { p50: number; p95: number } | null): string =>
  value ? `${Math.round(value.p50)}/${Math.round(value.p95)}` : '-';

/** `86 %` */
export const percent = (value: number): string => `${Math.round(value * 100)} %`;

/** One column of a target's score: its title and its cell. */
export interface ScoreColumn {
  title: string;
  cell: (score: TargetScore) => string;
}

/**
 * The columns of the per-target score table, after the target itself (which each medium shows as it needs: escaped
 * on a terminal): one list for `turbostream report` and the dashboard.
 */
export const SCORE_COLUMNS: readonly ScoreColumn[] = [
  { title: 'windows', cell: (score) => String(score.windows) },
  { title: 'alerted', cell: (score) => String(score.windowsWithAlerts) },
  {
    title: 'alerts c/w/i',
    cell: ({ alerts }) => `${alerts.critical}/${alerts.warning}/${alerts.info}`,
  },
  { title: 'ttft ms p50/p95', cell: (score) => pair(score.ttftMs) },
  { title: 'total ms p50/p95', cell: (score) => pair(score.totalMs) },
  {
    title: 'tokens in/out',
    cell: (score) => `${compactCount(score.inputTokens)}/${compactCount(score.outputTokens)}`,
  },
  { title: 'cost', cell: (score) => dollars(score.costUsd) },
  {
    title: '$/1k msgs',
    cell: (score) =>
      score.usdPer1kMessages === null ? (score.windows > 0 ? 'no price' : '-') : dollars(score.usdPer1kMessages),
  },
  { title: 'failed', cell: (score) => String(score.failed) },
  { title: '429s', cell: (score) => String(score.rateLimited) },
];
