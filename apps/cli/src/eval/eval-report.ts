import { type AnalysisTarget, formatTarget } from '@turbostream/contracts';
import {
  type Agreement,
  type CorpusFeed,
  compareScores,
  formatScoreTable,
  formatShare,
  type Score,
  type ScoreFigures,
  scoreAlerts,
} from '@turbostream/eval';
import { escapeForTerminal } from '@turbostream/logging';
import { type Percentiles, percentiles } from '../report/scoreboard.js';
import type { ReplayOutcome } from './replay.js';

/** One target's figures: how well it alerted (the score), how fast, and what it cost. */
export interface EvalTargetReport {
  target: string;
  figures: ScoreFigures;
  score: Score;
  /** Analyses (windows × feeds) and those that failed for good. */
  calls: number;
  failures: number;
  /** p50 and p95 of the completed calls (nearest rank); null without one. */
  ttftMs: Percentiles | null;
  totalMs: Percentiles | null;
  inputTokens: number;
  outputTokens: number;
  /** Dollars for the corpus; `null` when a call's model has no price. */
  costUsd: number | null;
}

export interface EvalReport {
  feeds: { name: string; messages: number; incidents: number; windows: number }[];
  seconds: number;
  targets: EvalTargetReport[];
  /** Per incident, which targets found it (with several targets). */
  agreement: Agreement | undefined;
}

/** Scores each target's alerts and sums its calls. */
export function evalReport(input: {
  feeds: readonly CorpusFeed[];
  targets: readonly AnalysisTarget[];
  outcome: ReplayOutcome;
  seconds: number;
}): EvalReport {
  const { feeds, outcome } = input;
  const targets = input.targets.map((target): EvalTargetReport => {
    const name = formatTarget(target);
    const score = scoreAlerts(feeds, outcome.windows, outcome.alerts.get(name) ?? []);
    const calls = outcome.calls.filter((call) => formatTarget(call.target) === name);
    const results = calls.flatMap((call) => (call.result ? [call.result] : []));
    const costs = results.map((result) => result.costUsd ?? null);
    return {
      target: name,
      figures: score.overall,
      score,
      calls: calls.length,
      failures: calls.length - results.length,
      ttftMs: percentiles(results.map((result) => result.ttftMs)),
      totalMs: percentiles(results.map((result) => result.totalMs)),
      inputTokens: results.reduce((sum, result) => sum + result.inputTokens, 0),
      outputTokens: results.reduce((sum, result) => sum + result.outputTokens, 0),
      costUsd: costs.includes(null) ? null : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0),
    };
  });
  return {
    feeds: feeds.map((feed) => ({
      name: feed.name,
      messages: feed.messages.length,
      incidents: feed.incidents.length,
      windows: outcome.windows.filter((window) => window.feed === feed.name).length,
    })),
    seconds: input.seconds,
    targets,
    agreement: targets.length > 1 ? compareScores(targets.map(({ target, score }) => ({ target, score }))) : undefined,
  };
}

const ms = (value: number | null) =>
  value === null ? '—' : value < 1_000 ? `${Math.round(value)} ms` : `${(value / 1_000).toFixed(2)} s`;
const dollars = (value: number | null) => (value === null ? 'unknown (a model has no price)' : `$${value.toFixed(4)}`);
const count = (value: number) => value.toLocaleString('en-US');

/** The report as people read it: per target its score table and its calls, then targets side by side. */
export function formatEvalReport(report: EvalReport): string {
  const safe = (text: string) => escapeForTerminal(text);
  const lines: string[] = [];
  const windows = report.feeds.reduce((sum, feed) => sum + feed.windows, 0);
  lines.push(
    `eval: ${report.feeds.length} feed(s), ${count(report.feeds.reduce((sum, feed) => sum + feed.messages, 0))} ` +
      `messages, ${windows} windows, ${report.feeds.reduce((sum, feed) => sum + feed.incidents, 0)} incidents; ` +
      `${report.targets.length} target(s); ${report.seconds.toFixed(1)} s`,
    '',
  );
  for (const target of report.targets) {
    lines.push(safe(target.target), formatScoreTable(target.score));
    lines.push(
      `calls ${target.calls}, failed ${target.failures}; time to first token p50 ${ms(target.ttftMs?.p50 ?? null)}, p95 ` +
        `${ms(target.ttftMs?.p95 ?? null)}; total p50 ${ms(target.totalMs?.p50 ?? null)}, p95 ${ms(target.totalMs?.p95 ?? null)}; tokens ` +
        `${count(target.inputTokens)} in, ${count(target.outputTokens)} out; ${dollars(target.costUsd)}`,
      '',
    );
  }
  if (report.targets.length > 1) {
    const names = report.targets.map((target) => safe(target.target));
    const row = (label: string, cell: (target: EvalTargetReport) => string) =>
      `| ${label} | ${report.targets.map(cell).join(' | ')} |`;
    lines.push(
      'side by side',
      `| | ${names.join(' | ')} |`,
      `|---|${names.map(() => '---').join('|')}|`,
      row('recall', (t) => `${formatShare(t.figures.recall)} (${t.figures.found}/${t.figures.incidents})`),
      row('precision', (t) => `${formatShare(t.figures.precision)} (${t.figures.matchingAlerts}/${t.figures.alerts})`),
      row('F1', (t) => (t.figures.f1 === null ? '—' : t.figures.f1.toFixed(2))),
      row('severity accuracy', (t) => formatShare(t.figures.severityAccuracy)),
      row('false alarms', (t) => String(t.figures.falseAlarms)),
      row('TTFT p50 / p95', (t) => `${ms(t.ttftMs?.p50 ?? null)} / ${ms(t.ttftMs?.p95 ?? null)}`),
      row('total p50 / p95', (t) => `${ms(t.totalMs?.p50 ?? null)} / ${ms(t.totalMs?.p95 ?? null)}`),
      row('tokens in / out', (t) => `${count(t.inputTokens)} / ${count(t.outputTokens)}`),
      row('dollars', (t) => dollars(t.costUsd)),
      row('failures', (t) => `${t.failures}/${t.calls}`),
      '',
    );
  }
  if (report.agreement) {
    const { agreement } = report;
    const names = agreement.targets.map(safe);
    lines.push(
      'per incident (the highest severity each target gave it; — missed)',
      `| feed | incident | kind | counts from | ${names.join(' | ')} |`,
      `|---|---|---|---|${names.map(() => '---').join('|')}|`,
      ...agreement.incidents.map(
        (incident) =>
          `| ${safe(incident.feed)} | ${safe(incident.incidentId)} | ${safe(incident.kind)} | ${incident.minSeverity} | ` +
          `${agreement.targets.map((target) => incident.severities[target] ?? '—').join(' | ')} |`,
      ),
      `found by all ${agreement.foundByAll}, by some ${agreement.foundBySome}, by none ${agreement.foundByNone}`,
      '',
    );
  }
  lines.push('Match rule and figures: docs/eval.md.');
  return `${lines.join('\n')}\n`;
}
