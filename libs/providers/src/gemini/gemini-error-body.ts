import { z } from 'zod';
import { safeParseJSON } from '../safe-parse-json.js';

/**
 * Google's error body (google.rpc.Status as JSON):
 *
 * ```json
 * {"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED",
 *   "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}]}}
 * ```
 */
const GeminiErrorBody = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    details: z.array(z.unknown()).optional(),
  }),
});

const RetryInfo = z.object({ '@type': z.string().endsWith('google.rpc.RetryInfo'), retryDelay: z.string() });

export interface GeminiErrorDetails {
  code: number | undefined;
  message: string | undefined;
  /** The canonical status name, e.g. `RESOURCE_EXHAUSTED`, `UNAVAILABLE`. */
  status: string | undefined;
  /** `RetryInfo.retryDelay` in milliseconds, when the body carries one. */
  retryDelayMs: number | undefined;
}

/** Parses a protobuf `Duration` in its JSON form (`"30s"`, `"1.5s"`) into milliseconds. */
export function parseGoogleDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.ceil(Number(match[1]) * 1_000) : undefined;
}

/**
 * Reads the error body out of a text that contains it: the SDK's `ApiError`
 * message is the body as JSON, or `got status: …. {body}` for an error sent
 * inside the stream. `undefined` when no such body is found.
 */
export function parseGeminiErrorBody(text: string): GeminiErrorDetails | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  const json = safeParseJSON(text.slice(start));
  if (!json.success) return undefined;
  const body = GeminiErrorBody.safeParse(json.value);
  if (!body.success) return undefined;
  const { code, message, status, details = [] } = body.data.error;
  let retryDelayMs: number | undefined;
  for (const detail of details) {
    const info = RetryInfo.safeParse(detail);
    if (info.success) retryDelayMs = parseGoogleDuration(info.data.retryDelay) ?? retryDelayMs;
  }
  return { code, message, status, retryDelayMs };
}
