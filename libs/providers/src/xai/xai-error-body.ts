import { openAIErrorBody } from '../openai/map-openai-error.js';

/** xAI's 429 for a team out of credits: waiting does not cure it. */
const OUT_OF_CREDITS = /used all available credits|monthly spending limit/i;

/**
 * xAI answers errors as `{"code":"<gRPC status text>","error":"<message>"}`;
 * the SDK keeps only the `error` string. It becomes the message, and a 429
 * for exhausted credits is marked `insufficient_quota` so that it is
 * permanent rather than rate-limited.
 */
export function xaiErrorBody(body: unknown): unknown {
  if (typeof body !== 'string') return openAIErrorBody(body);
  return { message: body, ...(OUT_OF_CREDITS.test(body) ? { code: 'insufficient_quota' } : {}) };
}
