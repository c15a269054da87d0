import { escapeForTerminal, escapeJsonForTerminal } from '@turbostream/logging';
import { formatAlert } from '../format-alert.js';

/** Where alerts are written: standard output, or a stand-in in tests. */
export interface AlertSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * How `up`, `stack` and `alerts` print alerts. Standard output carries alerts
 * and nothing else (banners and logs go to standard error): readable on a
 * terminal, one JSON object a line when `json` is asked for or standard
 * output is not a terminal (a pipe, a file), so that it can be processed.
 * Either way no control character from a feed or a model reaches the
 * terminal raw (see {@link formatAlert} and {@link alertJsonLine}).
 */
export function alertPrinter({
  json,
  out = process.stdout,
}: {
  json: boolean;
  out?: AlertSink;
}): (message: string) => void {
  const terminal = out.isTTY === true;
  const raw = alertsAsJson(json, out);
  return (message) => {
    out.write(`${raw ? alertJsonLine(message) : formatAlert(message, { color: terminal })}\n`);
  };
}

/** True when alerts go out as JSON lines (see {@link alertPrinter}). */
export function alertsAsJson(json: boolean, out: AlertSink = process.stdout): boolean {
  return json || out.isTTY !== true;
}

/**
 * A published alert as one JSON line that parses to the same value: the
 * message as it came (byte for byte, in the usual case), with DEL, C1, bidi
 * controls and line separators written as JSON escapes (`\u009b`), which
 * `JSON.stringify` leaves raw, so the line is safe in a terminal too (`| cat`).
 * JSON spread over several lines is made compact; a message that is not JSON
 * is shown with its controls escaped. What is stored is not changed.
 */
export function alertJsonLine(message: string): string {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return escapeForTerminal(message);
  }
  // A tab, line feed or carriage return can be raw in valid JSON only between tokens.
  const compact = /[\t\n\r]/.test(message) ? JSON.stringify(value) : message;
  return escapeJsonForTerminal(compact);
}
