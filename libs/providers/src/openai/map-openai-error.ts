import type { ProviderId } from '@turbostream/contracts';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { mapHttpError } from '../errors/map-http-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { redactSecrets } from '../errors/redact.js';

export interface OpenAIErrorContext {
  provider: ProviderId;
  /** Our own deadline fired. */
  timedOut: boolean;
  /** The caller's signal fired. */
  aborted: boolean;
  timeoutMs: number;
  /** The API key, stripped from every message. */
  secrets: readonly (string | undefined)[];
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

function transient(context: OpenAIErrorContext, message: string): ProviderError {
  return new ProviderError({ provider: context.provider, kind: 'transient', message: redactSecrets(message, context.secrets) });
}

/**
 * Maps whatever the OpenAI SDK (or the stream under it) threw onto the
 * provider error family. HTTP errors go through {@link mapHttpError};
 * timeouts, aborts, connection resets and errors inside the stream are transient.
 */
export function mapOpenAIError(error: unknown, context: OpenAIErrorContext): ProviderError {
  const { provider } = context;
  if (ProviderError.isInstance(error)) return error;
  if (context.timedOut || error instanceof APIConnectionTimeoutError) {
    return transient(context, `${provider} did not finish within ${context.timeoutMs} ms (timeout)`);
  }
  if (context.aborted || error instanceof APIUserAbortError) return transient(context, `${provider} request was aborted`);
  if (error instanceof APIConnectionError) return transient(context, `${provider} connection failed: ${error.message}`);
  if (error instanceof APIError) {
    if (typeof error.status === 'number') {
      const body = (context.errorBody ?? openAIErrorBody)(error.error);
      return mapHttpError({ provider, status: error.status, headers: error.headers, body, secrets: context.secrets });
    }
    // An `error` event in the middle of a stream: the provider gave up on this answer.
    return transient(context, `${provider} reported an error in the middle of the stream: ${error.message}`);
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return transient(context, `${provider} stream failed: ${error.name}: ${error.message}${cause}`);
  }
  return transient(context, `${provider} call failed: ${String(error)}`);
}
