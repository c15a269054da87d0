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
 */
export function alertPrinter({ json, out = process.stdout }: { json: boolean; out?: AlertSink }): (message: string) => void {
  const terminal = out.isTTY === true;
  const raw = alertsAsJson(json, out);
  return (message) => {
    out.write(`${raw ? message : formatAlert(message, { color: terminal })}\n`);
  };
}

/** True when alerts go out as JSON lines (see {@link alertPrinter}). */
export function alertsAsJson(json: boolean, out: AlertSink = process.stdout): boolean {
  return json || out.isTTY !== true;
}
