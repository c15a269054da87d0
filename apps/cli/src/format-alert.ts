import { Alert } from '@turbostream/contracts';
import { escapeForTerminal as shown, escapeJsonForTerminal } from '@turbostream/logging';

const COLORS = { info: '\u001b[36m', warning: '\u001b[33m', critical: '\u001b[31;1m' } as const;
const RESET = '\u001b[0m';

function evidenceText(evidence: readonly string[]): string {
  if (evidence.length === 0) return '';
  const more = evidence.length > 3 ? ` (+${evidence.length - 3})` : '';
  return `  evidence ${evidence.slice(0, 3).map(shown).join(', ')}${more}`;
}

/**
 * One alert as a few readable lines, for a terminal; anything that is not an
 * alert is shown as it came. Every field that came from a feed or a model
 * (title, summary, evidence ids, stream, provider, model…) is written with
 * its control characters escaped (`\x1b[2J`, `\n`: see
 * {@link escapeForTerminal}), so it can neither drive the terminal nor add
 * lines; the only escape sequences written are the colours asked for.
 */
export function formatAlert(json: string, { color = false }: { color?: boolean } = {}): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return `(not JSON) ${shown(json.slice(0, 200))}`;
  }
  const parsed = Alert.safeParse(value);
  if (!parsed.success) return `(not a v1 alert) ${escapeJsonForTerminal(json.slice(0, 200))}`;
  const alert = parsed.data;
  const time = shown(alert.createdAt.slice(11, 19));
  const severity = alert.severity.toUpperCase().padEnd(8);
  const tag = color ? `${COLORS[alert.severity]}${severity}${RESET}` : severity;
  const timings = `ttft ${Math.round(alert.timings.ttftMs)} ms, total ${Math.round(alert.timings.totalMs)} ms`;
  return [
    `${time} ${tag} ${shown(alert.streamId)}  ${shown(alert.title)}`,
    `         ${shown(alert.summary)}`,
    `         ${shown(alert.provider)}/${shown(alert.model)}  window ${shown(alert.windowId)} ` +
      `(${alert.window.messages} messages)  ${timings}${evidenceText(alert.evidence)}`,
  ].join('\n');
}
