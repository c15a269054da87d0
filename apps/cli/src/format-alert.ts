import { Alert } from '@turbostream/contracts';

const COLORS = { info: '\u001b[36m', warning: '\u001b[33m', critical: '\u001b[31;1m' } as const;
const RESET = '\u001b[0m';

/** One alert as a few readable lines; anything that is not an alert is shown as it came. */
export function formatAlert(json: string, { color = false }: { color?: boolean } = {}): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return `(not JSON) ${json.slice(0, 200)}`;
  }
  const parsed = Alert.safeParse(value);
  if (!parsed.success) return `(not a v1 alert) ${json.slice(0, 200)}`;
  const alert = parsed.data;
  const time = alert.createdAt.slice(11, 19);
  const severity = alert.severity.toUpperCase().padEnd(8);
  const tag = color ? `${COLORS[alert.severity]}${severity}${RESET}` : severity;
  const evidence = alert.evidence.length > 0 ? `  evidence ${alert.evidence.slice(0, 3).join(', ')}${alert.evidence.length > 3 ? ` (+${alert.evidence.length - 3})` : ''}` : '';
  return [
    `${time} ${tag} ${alert.streamId}  ${alert.title}`,
    `         ${alert.summary}`,
    `         ${alert.provider}/${alert.model}  window ${alert.windowId} (${alert.window.messages} messages)  ttft ${Math.round(alert.timings.ttftMs)} ms, total ${Math.round(alert.timings.totalMs)} ms${evidence}`,
  ].join('\n');
}
