import { pino, type Logger, type LoggerOptions } from 'pino';
import { jsonDestination, prettyDestination } from './log-destinations.js';
import { serializeError } from './redact-error.js';

export type { Logger } from 'pino';

/** Paths whose values are replaced by `[redacted]` wherever they appear in a log line. */
export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["api-key"]',
  'headers["x-api-key"]',
  'password',
  '*.password',
  'prompt',
  '*.prompt',
];

export interface CreateLoggerOptions {
  /** @defaultValue 'info' */
  level?: string;
  /** `json` writes one JSON object a line; `pretty` is for people at a terminal. @defaultValue 'json' */
  format?: 'json' | 'pretty';
  /** Where lines go. @defaultValue standard error, so standard output stays for data */
  destination?: NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ service: 'ingest' }`. */
  base?: Record<string, unknown>;
}

/**
 * The root logger; components get `logger.child({ … })`. Log fields may hold
 * text from feeds and models: neither format lets a control character in
 * them reach a terminal raw (see {@link jsonDestination}, {@link prettyDestination}).
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.destination ?? process.stderr;
  if (options.format === 'pretty') {
    return pino(
      pinoOptions,
      prettyDestination(destination, {
        colorize: 'isTTY' in destination && destination.isTTY === true,
        // One line per event, so alerts printed in between stay readable.
        singleLine: true,
        ignore: 'pid,hostname,instance,service',
        messageFormat: '{if service}{service}: {end}{msg}',
        translateTime: 'HH:MM:ss.l',
      }),
    );
  }
  return pino(pinoOptions, jsonDestination(destination));
}
