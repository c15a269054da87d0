import type { ScoreFigures, Score } from './score.js';

/** A share as a percentage with one decimal (`66.7 %`), or `—` when there is none. */
export function formatShare(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)} %`;
}

function row(name: string, figures: ScoreFigures): string {
  return [
    name,
    `${figures.found}/${figures.incidents}`,
    formatShare(figures.recall),
    `${figures.matchingAlerts}/${figures.alerts}`,
    formatShare(figures.precision),
    figures.f1 === null ? '—' : figures.f1.toFixed(2),
    `${figures.severityOk}/${figures.found}`,
    formatShare(figures.severityAccuracy),
    String(figures.falseAlarms),
    String(figures.windows),
  ].join(' | ');
}

/** A score as a Markdown table: one row per feed, then all feeds together. */
export function formatScoreTable(score: Score): string {
  return [
    '| feed | found | recall | matching alerts | precision | F1 | severity ok | severity accuracy | false alarms | windows |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...score.feeds.map((feed) => `| ${row(feed.feed, feed)} |`),
    `| ${row('all feeds', score.overall)} |`,
  ].join('\n');
}
