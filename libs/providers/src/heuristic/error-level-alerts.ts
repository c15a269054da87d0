import type { ModelAlert } from '@turbostream/contracts';
import type { FlatMessage } from './json-fields.js';

/** Level names that make a message worth an alert, from least to most severe. */
const LEVELS = ['error', 'critical', 'fatal', 'panic'] as const;
type ErrorLevel = (typeof LEVELS)[number];
const CRITICAL_LEVELS: ReadonlySet<ErrorLevel> = new Set(['critical', 'fatal', 'panic']);
const LEVEL_FIELDS = new Set(['level', 'severity']);
const TEXT_FIELDS = ['message', 'msg', 'error', 'err'];

function isErrorLevel(value: string): value is ErrorLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/** The most severe error level a message reports in a `level` or `severity` field (any depth), if any. */
export function errorLevelOf(message: FlatMessage): ErrorLevel | undefined {
  let worst: ErrorLevel | undefined;
  for (const [path, value] of message.fields) {
    const key = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
    if (!LEVEL_FIELDS.has(key) || typeof value !== 'string') continue;
    const level = value.trim().toLowerCase();
    if (isErrorLevel(level) && (worst === undefined || LEVELS.indexOf(level) > LEVELS.indexOf(worst))) worst = level;
  }
  return worst;
}

function messageText(message: FlatMessage): string | undefined {
  for (const field of TEXT_FIELDS) {
    const value = message.fields.get(field);
    if (typeof value === 'string' && value.trim()) return value.replace(/\s+/g, ' ').trim().slice(0, 200);
  }
  return undefined;
}

/** One alert summarising the messages at error level or worse, or none: critical if any is fatal, critical or panic. */
export function errorLevelAlert(messages: readonly FlatMessage[], maxEvidence: number): ModelAlert | undefined {
  const hits = messages.flatMap((message) => {
    const level = errorLevelOf(message);
    return level === undefined ? [] : [{ message, level }];
  });
  const first = hits[0];
  if (first === undefined) return undefined;
  const counts = LEVELS.map((level) => ({ level, count: hits.filter((hit) => hit.level === level).length })).filter(
    (entry) => entry.count > 0,
  );
  const breakdown = counts.map((entry) => `${entry.count} ${entry.level}`).join(', ');
  const noun = hits.length === 1 ? 'message' : 'messages';
  const text = messageText(first.message);
  return {
    severity: hits.some((hit) => CRITICAL_LEVELS.has(hit.level)) ? 'critical' : 'warning',
    title: `${hits.length} error-level ${noun} (${breakdown})`,
    summary:
      `${hits.length} of ${messages.length} JSON messages report level error or worse (${breakdown}). ` +
      `First: ${first.message.id}${text ? ` "${text}"` : ''}.`,
    evidence: hits.slice(0, maxEvidence).map((hit) => hit.message.id),
  };
}
