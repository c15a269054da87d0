import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { CallContext } from '../call/call-context.js';
import { mapHttpError } from '../errors/map-http-error.js';
import { callFailure, mapTransportError, mapUnexpectedError } from '../errors/map-transport-error.js';
import type { ProviderError } from '../errors/provider-error.js';

export interface OpenAIErrorContext extends CallContext {
  /**
   * Turns the error body the SDK kept (the response's `error` field) into the
   * OpenAI shape {@link mapHttpError} reads.
   * @defaultValue {@link openAIErrorBody}
   */
  errorBody?: ErrorBodyNormaliser;
}

/** Turns a provider's error body into `{ message, type?, code? }` for {@link mapHttpError}. */
export type ErrorBodyNormaliser = (body: unknown) => unknown;

/**
 * The SDK keeps only the `error` field of an error response. OpenAI and Azure
 * put an object there; servers that put a bare string there (xAI's
 * `{"code":"…","error":"…"}`) get it read as the message.
 */
export function openAIErrorBody(body: unknown): unknown {
  return typeof body === 'string' ? { message: body } : body;
}

/**
 * Maps whatever the OpenAI SDK (or the stream under it) threw onto the
 * provider error family. HTTP errors go through {@link mapHttpError};
 * timeouts, aborts, connection resets and errors inside the stream are transient.
 */
export function mapOpenAIError(error: unknown, context: OpenAIErrorContext): ProviderError {
  const transport = mapTransportError(error, context, {
    timeout: APIConnectionTimeoutError,
    abort: APIUserAbortError,
    connection: APIConnectionError,
  });
  if (transport) return transport;
  if (error instanceof APIError) {
    const { provider } = context;
    if (typeof error.status === 'number') {
      const body = (context.errorBody ?? openAIErrorBody)(error.error);
      return mapHttpError({ provider, status: error.status, headers: error.headers, body, secrets: context.secrets });
    }
    // An `error` event in the middle of a stream: the provider gave up on this answer.
    return callFailure(context, `${provider} reported an error in the middle of the stream: ${error.message}`);
  }
  return mapUnexpectedError(error, context);
}
