import type { CallContext } from '../call/call-context.js';
import { ProviderError, type ProviderErrorKind } from './provider-error.js';
import { redactSecrets } from './redact.js';

/** An SDK's error class. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** An SDK's own transport error classes; each is skipped when not given. */
export interface TransportErrorClasses {
  /** The SDK's own timeout fired. */
  timeout?: ErrorClass;
  /** The SDK saw the request aborted. */
  abort?: ErrorClass;
  /** The connection could not be made, or dropped. */
  connection?: ErrorClass;
}

function isInstance(error: unknown, errorClass: ErrorClass | undefined): error is Error {
  return errorClass !== undefined && error instanceof errorClass;
}

/** A failure of the call with the API key stripped from its message. @defaultValue kind 'transient' */
export function callFailure(
  context: CallContext,
  message: string,
  kind: ProviderErrorKind = 'transient',
): ProviderError {
  return new ProviderError({ provider: context.provider, kind, message: redactSecrets(message, context.secrets) });
}

/**
 * What every provider's error mapper does first: a {@link ProviderError}
 * passes through; our deadline or the SDK's timeout, an abort (the caller's
 * or the SDK's), and a failed connection are transient. Undefined for
 * anything else (HTTP errors, stream errors), which the provider maps itself.
 */
export function mapTransportError(
  error: unknown,
  context: CallContext,
  classes: TransportErrorClasses = {},
): ProviderError | undefined {
  const { provider } = context;
  if (ProviderError.isInstance(error)) return error;
  if (context.timedOut || isInstance(error, classes.timeout))
    return callFailure(context, `${provider} did not finish within ${context.timeoutMs} ms (timeout)`);
  if (context.aborted || isInstance(error, classes.abort))
    return callFailure(context, `${provider} request was aborted`);
  if (isInstance(error, classes.connection))
    return callFailure(context, `${provider} connection failed: ${error.message}`);
  return undefined;
}

/**
 * What every provider's error mapper does last: anything else the SDK, or the
 * stream under it, threw is transient. `maxMessageLength` cuts the error's own
 * message (not its cause).
 */
export function mapUnexpectedError(error: unknown, context: CallContext, maxMessageLength?: number): ProviderError {
  const { provider } = context;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return callFailure(
      context,
      `${provider} stream failed: ${error.name}: ${error.message.slice(0, maxMessageLength)}${cause}`,
    );
  }
  return callFailure(context, `${provider} call failed: ${String(error)}`);
}
