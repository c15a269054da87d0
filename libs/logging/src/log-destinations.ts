import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import { escapeForTerminal, escapeJsonForTerminal } from './terminal-text.js';

/**
 * Where JSON log lines go, with DEL, C1, bidi controls and line separators
 * (which `JSON.stringify` leaves raw) written as JSON escapes: the lines may
 * be read in a terminal (`turbostream stack`, `docker compose logs`) and
 * still parse to the same fields.
 */
export function jsonDestination(destination: NodeJS.WritableStream): DestinationStream {
  return {
    write(chunk: string) {
      destination.write(chunk.split('\n').map(escapeJsonForTerminal).join('\n'));
    },
  };
}

/**
 * Where pino-pretty's lines go, with every string of the event (message,
 * fields, keys, error) escaped for a terminal before pino-pretty formats and
 * colours it: its colours stay, control characters from feeds and models are
 * shown (`\x1b[2J`, `\n`), never obeyed.
 */
export function prettyDestination(
  destination: NodeJS.WritableStream,
  options: pretty.PrettyOptions,
): DestinationStream {
  const prettify = pretty.prettyFactory(options);
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') destination.write(prettyLine(prettify, line));
    },
  };
}

function prettyLine(prettify: (event: unknown) => string, line: string): string {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return `${escapeForTerminal(line)}\n`;
  }
  return prettify(escapeStrings(event));
}

/** Every string in a parsed log event, keys included, escaped for a terminal. */
function escapeStrings(value: unknown): unknown {
  if (typeof value === 'string') return escapeForTerminal(value);
  if (Array.isArray(value)) return value.map(escapeStrings);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(record).map(([name, item]) => [
      escapeForTerminal(name),
      name === 'stack' && typeof item === 'string' ? escapeStack(item, record.message) : escapeStrings(item),
    ]),
  );
}

/**
 * An error's stack keeps its line breaks, one frame a line (pino-pretty
 * indents them under the event), each line escaped; the error's message in
 * it is escaped as a whole, so that text in the message cannot add a line.
 */
function escapeStack(stack: string, message: unknown): string {
  const lines = (text: string) => text.split('\n').map(escapeForTerminal).join('\n');
  const at = typeof message === 'string' && message !== '' ? stack.indexOf(message) : -1;
  if (typeof message !== 'string' || at < 0) return lines(stack);
  return `${lines(stack.slice(0, at))}${escapeForTerminal(message)}${lines(stack.slice(at + message.length))}`;
}
