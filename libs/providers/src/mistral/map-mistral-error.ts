// The error classes from their own modules: the package's errors index loads every model schema (over a second).
import {
  ConnectionError,
  InvalidRequestError,
  RequestAbortedError,
  RequestTimeoutError,
} from '@mistralai/mistralai/models/errors/httpclienterrors.js';
import { MistralError } from '@mistralai/mistralai/models/errors/mistralerror.js';
import { SDKValidationError } from '@mistralai/mistralai/models/errors/sdkvalidationerror.js';
import { z } from 'zod';
import type { CallContext } from '../call/call-context.js';
import { mapHttpError } from '../errors/map-http-error.js';
import { callFailure, mapTransportError, mapUnexpectedError } from '../errors/map-transport-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { mistralRetryAfterMs, readMistralErrorBody } from './mistral-error-body.js';

export interface MistralErrorContext extends CallContext {
  /** @defaultValue Date.now() */
  now?: number;
}

const EventIssues = z
  .array(z.object({ path: z.array(z.union([z.string(), z.number(), z.symbol()])), message: z.string() }))
  .min(1);

/**
 * The first problem with a stream event the SDK could not read as a completion chunk (it throws a ZodError); undefined
 * for other errors.
 */
function unreadableEvent(error: Error): string | undefined {
  if (error.name !== 'ZodError' || !('issues' in error)) return undefined;
  const issues = EventIssues.safeParse(error.issues);
  const first = issues.success ? issues.data[0] : undefined;
  return first ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}` : undefined;
}

/**
 * An HTTP error answer: the body in any of Mistral's shapes, and the wait from `Retry-After` or
 * `ratelimitbysize-reset`.
 */
export function mapMistralHttpError(error: MistralError, context: MistralErrorContext): ProviderError {
  const { provider, secrets, now } = context;
  const mapped = mapHttpError({
    provider,
    status: error.statusCode,
    headers: error.headers,
    body: readMistralErrorBody(error.body),
    secrets,
    ...(now === undefined ? {} : { now }),
  });
  if (mapped.kind !== 'rate-limited' || mapped.retryAfterMs !== undefined) return mapped;
  const retryAfterMs = mistralRetryAfterMs(error.headers, now);
  if (retryAfterMs === undefined) return mapped;
  return new ProviderError({
    provider,
    kind: mapped.kind,
    message: mapped.message,
    retryAfterMs,
    ...(mapped.statusCode === undefined ? {} : { statusCode: mapped.statusCode }),
    ...(mapped.code === undefined ? {} : { code: mapped.code }),
  });
}

/**
 * Maps whatever the Mistral SDK (or the stream under it) threw onto the
 * provider error family: HTTP errors through {@link mapHttpError}; timeouts,
 * aborts, connection failures and errors inside the stream are transient; a
 * request the SDK itself refused to send is permanent.
 */
export function mapMistralError(error: unknown, context: MistralErrorContext): ProviderError {
  const { provider } = context;
  const transport = mapTransportError(error, context, {
    timeout: RequestTimeoutError,
    abort: RequestAbortedError,
    connection: ConnectionError,
  });
  if (transport) return transport;
  if (error instanceof MistralError) {
    if (error.statusCode >= 400) return mapMistralHttpError(error, context);
    // A success status whose body the SDK could not read (ResponseValidationError).
    return callFailure(
      context,
      `${provider} answered HTTP ${error.statusCode} with a body that could not be ` +
        `read: ${error.message.slice(0, 200)}`,
    );
  }
  if (error instanceof SDKValidationError || error instanceof InvalidRequestError) {
    return callFailure(context, `${provider} request could not be built: ${error.message.slice(0, 300)}`, 'permanent');
  }
  const unreadable = error instanceof Error ? unreadableEvent(error) : undefined;
  if (unreadable)
    return callFailure(
      context,
      `${provider} sent a stream event that is not a completion chunk (an error in the middle of the ` +
        `stream?): ${unreadable.slice(0, 300)}`,
    );
  return mapUnexpectedError(error, context, 300);
}
