/**
 * The page's pure helpers (no DOM, no Node: unit-tested as they are): how times and figures read, and which alerts a
 * filter keeps.
 */
import type { DashboardAlert, DashboardSeverity, DashboardTarget } from '../api.js';

/** Comparison targets as the switch form shows them: `openai/gpt-x@0.1, heuristic/mad`. */
export function compareText(targets: readonly DashboardTarget[]): string {
  return targets
    .map((target) => `${target.provider}/${target.model}${target.sample < 1 ? `@${target.sample}` : ''}`)
    .join(', ');
}

/** The switch form's comparison targets: separated by commas or spaces; none for an empty text. */
export function parseCompare(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== '');
}

/** `14:03:07`, in the browser's time zone; the text as is when it is not a time. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** `850 ms`, `1.2 s`, `3 min` */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toPrecision(2))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Number((ms / 3_600_000).toPrecision(2))} h`;
}

/** `2026-11-30 14:03:07.123` for an entry's receive time (epoch ms), in the browser's time zone. */
export function receivedAt(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.` +
    String(date.getMilliseconds()).padStart(3, '0')
  );
}

/** A message as it reads best: JSON indented, anything else as it came. */
export function prettyMessage(data: string): string {
  try {
    return JSON.stringify(JSON.parse(data), null, 2);
  } catch {
    return data;
  }
}

export interface AlertFilter {
  /** '' for every stream. */
  stream: string;
  /** '' for every severity. */
  severity: '' | DashboardSeverity;
}

export function matches(alert: DashboardAlert, filter: AlertFilter): boolean {
  return (
    (filter.stream === '' || alert.streamId === filter.stream) &&
    (filter.severity === '' || alert.severity === filter.severity)
  );
}

const SEVERITIES: readonly string[] = ['info', 'warning', 'critical'];

/** A filter from the page's address (`#alerts?stream=x&severity=warning`), unknown values dropped. */
export function filterFromHash(hash: string): AlertFilter {
  const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '';
  const params = new URLSearchParams(query);
  const severity = params.get('severity') ?? '';
  return {
    stream: params.get('stream') ?? '',
    severity: SEVERITIES.includes(severity) ? (severity as DashboardSeverity) : '',
  };
}

/** The address of a filter: what `filterFromHash` reads back. */
export function hashOfFilter(filter: AlertFilter): string {
  const params = new URLSearchParams();
  if (filter.stream) params.set('stream', filter.stream);
  if (filter.severity) params.set('severity', filter.severity);
  const query = params.toString();
  return query ? `#alerts?${query}` : '#alerts';
}

/**
 * Where an alert goes in a list sorted newest first (by `createdAt`, then id): the index of the first alert older
 * than it. Live alerts almost always go first; one published late (a retried window) goes where it belongs.
 */
export function insertionIndex(sorted: readonly DashboardAlert[], alert: DashboardAlert): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const other = sorted[middle] as DashboardAlert;
    const newer = other.createdAt > alert.createdAt || (other.createdAt === alert.createdAt && other.id > alert.id);
    if (newer) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** One server-sent event: its name (`message` when none) and data. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads server-sent events from a stream of text (a streamed fetch's body, which EventSource cannot read: it only
 * GETs): `push` each piece as it comes, get the events it completed. Lines may end in LF, CRLF or CR.
 */
export class SseReader {
  #buffer = '';

  push(text: string): SseEvent[] {
    this.#buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const end = /\r\n\r\n|\n\n|\r\r/.exec(this.#buffer);
      if (!end) return events;
      const block = this.#buffer.slice(0, end.index);
      this.#buffer = this.#buffer.slice(end.index + end[0].length);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
    }
  }
}

/** An asked question's cost: `$0.000312`, or `no price`. */
export function askCost(costUsd: number | null): string {
  if (costUsd === null) return 'no price';
  return costUsd === 0 ? '$0' : `$${costUsd.toPrecision(3)}`;
}

/** The points of `values` in a `width` × `height` box, the largest value at the top (a flat line at the bottom for 0). */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((value, index) => {
      const x = Math.round(index * step * 10) / 10;
      const y = Math.round((height - 1 - (value / max) * (height - 2)) * 10) / 10;
      return `${x},${y}`;
    })
    .join(' ');
}
