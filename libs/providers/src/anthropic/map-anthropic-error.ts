import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { CallContext } from '../call/call-context.js';
import { mapHttpError } from '../errors/map-http-error.js';
import { mapTransportError, mapUnexpectedError } from '../errors/map-transport-error.js';
import { ProviderError, type ProviderErrorKind } from '../errors/provider-error.js';
import { redactSecrets } from '../errors/redact.js';
import type { HeaderSource } from '../errors/retry-after.js';
import { parseAnthropicResetMs } from './anthropic-rate-limit.js';

export interface AnthropicErrorContext extends CallContext {
  /** @defaultValue Date.now() */
  now?: number;
}

/** The documented error body: `{"type":"error","error":{"type","message","details"?},"request_id"}`. */
const AnthropicErrorBody = z.object({
  error: z.object({
    type: z.string(),
    message: z.unknown().optional(),
    details: z.object({ error_code: z.string().optional() }).nullish(),
  }),
});

/** An HTTP error response: the status decides the kind, `Retry-After` then Anthropic's reset headers the wait. */
export function mapAnthropicHttpError(
  status: number,
  headers: HeaderSource,
  body: unknown,
  context: AnthropicErrorContext,
): ProviderError {
  const parsed = AnthropicErrorBody.safeParse(body);
  const details = parsed.success ? parsed.data.error : undefined;
  const normalized = details
    ? { error: { message: details.message, type: details.type, code: details.details?.error_code ?? details.type } }
    : body;
  const mapped = mapHttpError({
    provider: context.provider,
    status,
    headers,
    body: normalized,
    secrets: context.secrets,
    ...(context.now === undefined ? {} : { now: context.now }),
  });
  if (mapped.kind !== 'rate-limited' || mapped.retryAfterMs !== undefined) return mapped;
  const retryAfterMs = parseAnthropicResetMs(headers, context.now);
  if (retryAfterMs === undefined) return mapped;
  return new ProviderError({
    provider: mapped.provider,
    kind: mapped.kind,
    message: mapped.message,
    retryAfterMs,
    ...(mapped.statusCode === undefined ? {} : { statusCode: mapped.statusCode }),
    ...(mapped.code === undefined ? {} : { code: mapped.code }),
  });
}

/** The kind of an `event: error` sent in the middle of a stream, from its error type. */
export function streamErrorKind(type: string | undefined): ProviderErrorKind {
  switch (type) {
    case 'rate_limit_error':
      return 'rate-limited';
    case 'invalid_request_error':
    case 'authentication_error':
    case 'permission_error':
    case 'billing_error':
    case 'not_found_error':
    case 'request_too_large':
      return 'permanent';
    default:
      // overloaded_error, api_error, timeout_error and anything newer.
      return 'transient';
  }
}

/** An `event: error` in the middle of a stream: the provider gave up on this answer. */
export function mapAnthropicStreamError(body: unknown, context: AnthropicErrorContext): ProviderError {
  const parsed = AnthropicErrorBody.safeParse(body);
  const type = parsed.success ? parsed.data.error.type : undefined;
  const message =
    parsed.success && typeof parsed.data.error.message === 'string'
      ? `: ${parsed.data.error.message.slice(0, 300)}`
      : '';
  return new ProviderError({
    provider: context.provider,
    kind: streamErrorKind(type),
    message: redactSecrets(
      `${context.provider} reported an error in the middle of the stream (${type ?? 'unknown'})${message}`,
      context.secrets,
    ),
    ...(type === undefined ? {} : { code: type }),
  });
}

/**
 * Maps whatever the Anthropic SDK (or the stream under it) threw onto the
 * provider error family. Timeouts, aborts, connection resets and dropped
 * streams are transient; HTTP errors follow their status.
 */
export function mapAnthropicError(error: unknown, context: AnthropicErrorContext): ProviderError {
  const transport = mapTransportError(error, context, {
    timeout: APIConnectionTimeoutError,
    abort: APIUserAbortError,
    connection: APIConnectionError,
  });
  if (transport) return transport;
  if (error instanceof APIError) {
    if (typeof error.status === 'number')
      return mapAnthropicHttpError(error.status, error.headers, error.error, context);
    return mapAnthropicStreamError(error.error, context);
  }
  return mapUnexpectedError(error, context);
}
