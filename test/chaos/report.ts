/** The chaos table: one row per scenario, as markdown (printed, and written for BENCHMARKS.md). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ScenarioResult } from './scenario.js';

const HEADER = [
  'scenario',
  'sent',
  'stored',
  'lost: gap-marked / silent',
  'duplicated',
  'windowed: once / none / twice+',
  'analysed (every target) / windows',
  'alerts',
  'duplicate alerts: log / channel',
  'seconds',
  'result',
  'notes',
];

/** Markdown-safe cell text. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const figure = (value: number): string => value.toLocaleString('en');

/** One row of the table. */
function row(result: ScenarioResult): string[] {
  const { counts } = result;
  return [
    `\`${result.id}\``,
    figure(counts.sent),
    figure(counts.stored),
    `${figure(counts.lostMarked)} / ${figure(counts.lostSilent)}`,
    figure(counts.duplicated),
    `${figure(counts.windowedOnce)} / ${figure(counts.windowedNone)} / ${figure(counts.windowedTwice)}`,
    `${figure(counts.analysed)} / ${figure(counts.windows)}`,
    figure(counts.alerts),
    `${figure(counts.duplicateAlerts)} / ${figure(result.channelDuplicates)}`,
    result.seconds.toFixed(1),
    result.violations.length === 0 ? 'pass' : `**FAIL**: ${result.violations.join('; ')}`,
    result.notes.join('; '),
  ];
}

/** The table as markdown, with a line per scenario's fault below it. */
export function chaosTable(results: readonly ScenarioResult[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];
  for (const result of results) lines.push(`| ${row(result).map(cell).join(' | ')} |`);
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  const failed = results.filter((result) => result.violations.length > 0).length;
  lines.push(
    '',
    `${results.length} scenarios, ${failed} failed, ${seconds.toFixed(0)} s in all (set-up and checks included).`,
    '',
  );
  lines.push(
    ...results.map(
      (result) => `- \`${result.id}\`: ${result.fault}.${result.allowed.map((why) => ` Allowed, ${why}.`).join('')}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}

/** Where the markdown table goes: `CHAOS_REPORT`, else a file in the system's temporary directory. */
export function reportPath(): string {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a knob of the chaos suite, not an input of any build
  return process.env.CHAOS_REPORT ?? join(tmpdir(), 'turbostream-chaos-report.md');
}

/** Prints the table and writes it as markdown; returns the file written. */
export function writeChaosReport(results: readonly ScenarioResult[], title: string): string {
  const table = chaosTable(results);
  const path = reportPath();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `## ${title} (${new Date().toISOString().slice(0, 10)})\n\n${table}`);
  process.stdout.write(`\n${title}\n\n${table}\n(written to ${path})\n`);
  return path;
}
