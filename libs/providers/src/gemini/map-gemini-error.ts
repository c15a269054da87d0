import { ApiError } from '@google/genai';
import type { CallContext } from '../call/call-context.js';
import { httpStatusKind, mapHttpError } from '../errors/map-http-error.js';
import { callFailure, mapTransportError, mapUnexpectedError } from '../errors/map-transport-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { redactSecrets } from '../errors/redact.js';
import { parseGeminiErrorBody } from './gemini-error-body.js';

/** The HTTP response the call got, as our `fetch` saw it (the SDK's errors carry no headers). */
export interface GeminiExchange {
  status?: number;
  headers?: Headers;
}

export interface GeminiErrorContext extends CallContext {
  exchange: GeminiExchange;
}

function larger(left: number | undefined, right: number | undefined): number | undefined {
  if (left === undefined) return right;
  return right === undefined ? left : Math.max(left, right);
}

function mapApiError(error: ApiError, context: GeminiErrorContext): ProviderError {
  const { provider } = context;
  const details = parseGeminiErrorBody(error.message);
  const exchangeStatus = context.exchange.status;
  if (exchangeStatus !== undefined && exchangeStatus < 400) {
    // `data: {"error":…}` after a 200: the server gave up on this answer mid-stream.
    const kind = httpStatusKind(error.status, [details?.status]);
    const what =
      [details?.status, details?.message?.slice(0, 300)].filter(Boolean).join(': ') || `code ${error.status}`;
    return new ProviderError({
      provider,
      kind,
      message: redactSecrets(`${provider} reported an error in the middle of the stream: ${what}`, context.secrets),
      statusCode: error.status,
      ...(kind === 'rate-limited' && details?.retryDelayMs !== undefined ? { retryAfterMs: details.retryDelayMs } : {}),
      ...(details?.status ? { code: details.status } : {}),
    });
  }
  const mapped = mapHttpError({
    provider,
    status: error.status,
    headers: context.exchange.headers,
    body: details ? { error: { message: details.message, code: details.status } } : undefined,
    secrets: context.secrets,
  });
  if (mapped.kind !== 'rate-limited' || details?.retryDelayMs === undefined) return mapped;
  const retryAfterMs = larger(mapped.retryAfterMs, details.retryDelayMs);
  return new ProviderError({
    provider,
    kind: mapped.kind,
    message: mapped.message,
    ...(mapped.statusCode === undefined ? {} : { statusCode: mapped.statusCode }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(mapped.code === undefined ? {} : { code: mapped.code }),
  });
}

/**
 * Maps whatever the Gemini SDK (or the stream under it) threw onto the
 * provider error family. HTTP errors go through {@link mapHttpError} with the
 * canonical status as code, and a 429 waits for the larger of `Retry-After`
 * and `RetryInfo.retryDelay`. Timeouts, aborts, dropped connections and
 * unreadable streams are transient; an error event inside the stream is
 * classified by its code.
 */
export function mapGeminiError(error: unknown, context: GeminiErrorContext): ProviderError {
  const transport = mapTransportError(error, context);
  if (transport) return transport;
  if (error instanceof ApiError) return mapApiError(error, context);
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    // The SDK's own `httpOptions.timeout` fired (it is set to the same deadline as ours).
    return callFailure(context, `${context.provider} did not finish within ${context.timeoutMs} ms (timeout)`);
  }
  return mapUnexpectedError(error, context);
}
