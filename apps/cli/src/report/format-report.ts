/** `turbostream report`'s period (`--since`) and its text output: a table per stream, then how its targets agree. */
import { escapeForTerminal } from '@turbostream/logging';
import { compactCount, dollars, percent, SCORE_COLUMNS } from './figures.js';
import type { Agreement, StreamScore, TargetScore } from './scoreboard.js';

export { compactCount, dollars };

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest period a report covers: the log is capped long before. */
export const MAX_SINCE_MS = 30 * 86_400_000;

/** `30m`, `1h`, `2d`, `90s`, `1.5h` in milliseconds; undefined when it is not such a duration (or out of range). */
export function parseSince(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  return ms > 0 && ms <= MAX_SINCE_MS ? Math.round(ms) : undefined;
}

/** What `turbostream report --json` prints, and what the text is made from. */
export interface Report {
  v: 1;
  /** The period as given (`1h`) and its bounds (Redis's clock). */
  since: string;
  from: string;
  to: string;
  /** The stream asked for with --stream, if one was. */
  stream: string | null;
  log: {
    key: string;
    /** Records read in the period, and those left out: unreadable, or a second record of a window already counted. */
    records: number;
    unreadable: number;
    duplicates: number;
    /** When the oldest record the log holds was written (null: empty), its length and its cap. */
    oldestHeld: string | null;
    length: number;
    maxLength: number;
    /** True when the log is at its cap and starts after the period does: the period's first records are gone. */
    trimmed: boolean;
  };
  streams: StreamScore[];
}

const shown = escapeForTerminal;

/** The score table of a terminal leaves out the period's dollars ($/1k msgs stays), to keep it narrower. */
const TERMINAL_COLUMNS = SCORE_COLUMNS.filter((column) => column.title !== 'cost');
const COLUMNS = ['target', ...TERMINAL_COLUMNS.map((column) => column.title)];

function row(score: TargetScore): string[] {
  return [shown(score.target), ...TERMINAL_COLUMNS.map((column) => column.cell(score))];
}

/** Rows under a header, the first column left-aligned and the others right-aligned, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function agreementLine(agreement: Agreement): string {
  const a = shown(agreement.a);
  const b = shown(agreement.b);
  const overlap =
    agreement.evidenceOverlap === null
      ? 'evidence overlap -'
      : `evidence overlap ${agreement.evidenceOverlap.toFixed(2)} (mean Jaccard of the cited entries over ` +
        `${agreement.overlapWindows} window${agreement.overlapWindows === 1 ? '' : 's'} both alerted on)`;
  return (
    `    ${a} vs ${b}: ${agreement.windows} window${agreement.windows === 1 ? '' : 's'} both analysed; ` +
    `both alerted ${agreement.bothAlerted}, only ${a} ${agreement.onlyA}, only ${b} ${agreement.onlyB}, ` +
    `neither ${agreement.neither}` +
    `${agreement.agreementRate === null ? '' : ` (agree on ${percent(agreement.agreementRate)})`}; ${overlap}`
  );
}

function streamLines(stream: StreamScore): string[] {
  const lines = [shown(stream.streamId)];
  if (stream.targets.length === 0) return [...lines, '  no analyses recorded in this period'];
  lines.push(...table(COLUMNS, stream.targets.map(row)));
  for (const score of stream.targets)
    if (score.unpricedWindows > 0 && score.usdPer1kMessages !== null)
      lines.push(`  ${shown(score.target)}: ${score.unpricedWindows} window(s) without a price are not in $/1k msgs`);
  if (stream.agreement.length > 0) {
    lines.push('  agreement, on the windows both targets analysed:');
    lines.push(...stream.agreement.map(agreementLine));
  } else if (stream.targets.length > 1) {
    lines.push('  agreement: no window analysed by two targets in this period');
  }
  return lines;
}

/** The report as text for a terminal: feed text (stream ids, model names) escaped. */
export function formatReport(report: Report): string {
  const { log } = report;
  const lines = [
    `Analyses of the last ${report.since} (${report.from} to ${report.to}; --since changes it): ${log.records} ` +
      `record${log.records === 1 ? '' : 's'}${report.stream === null ? '' : ` of stream ${shown(report.stream)}`}`,
  ];
  if (log.trimmed)
    lines.push(
      `note: the analysis log (${log.key}, capped at about ${log.maxLength} records) starts at ${log.oldestHeld}: ` +
        'the earlier part of the period is not counted',
    );
  if (log.unreadable > 0) lines.push(`note: ${log.unreadable} record(s) of another version or damaged were left out`);
  if (report.streams.length === 0) lines.push('', 'no streams configured and no analyses recorded in this period');
  for (const stream of report.streams) lines.push('', ...streamLines(stream));
  lines.push(
    '',
    'windows: windows analysed; alerted: windows with an alert; alerts c/w/i: critical/warning/info; ' +
      'ttft: time to first token; $/1k msgs: dollars per 1,000 messages analysed; failed: windows failed for good; ' +
      '429s: calls refused with a 429',
  );
  return `${lines.join('\n')}\n`;
}
