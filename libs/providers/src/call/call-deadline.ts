import type { ProviderId } from '@turbostream/contracts';
import type { ProviderError } from '../errors/provider-error.js';
import type { AnalysisRequest } from '../provider.js';
import type { CallContext } from './call-context.js';

/** A call running under its deadline. */
export interface DeadlineCall {
  /** Aborted when the deadline passes or the caller's signal fires; give it to the SDK. */
  signal: AbortSignal;
  /** `performance.now()` when the call started, for time to first token and total time. */
  startedAt: number;
}

export interface DeadlineOptions {
  provider: ProviderId;
  /** Its `timeoutMs` is the deadline for the whole call; its `signal`, when given, aborts the call. */
  request: Pick<AnalysisRequest, 'timeoutMs' | 'signal'>;
  /** The API key, stripped from every error message. */
  secrets: readonly (string | undefined)[];
  /**
   * Turns whatever the call threw into a {@link ProviderError} (a `ProviderError`
   * passes through unchanged). A plain `Error('aborted')` thrown after the SDK
   * ended a stream quietly is mapped with the context that says why.
   */
  mapError: (error: unknown, context: CallContext) => ProviderError;
}

/** A deadline started for one call: its signal, what to map errors with, and how to let go of it. */
interface StartedDeadline {
  call: DeadlineCall;
  /** Maps whatever the call threw, with the context that says which of the deadline or the caller fired. */
  fail(error: unknown): ProviderError;
  /** Removes the timer and the listener on the caller's signal; with `abort`, aborts the call first. */
  end(abort?: boolean): void;
}

function startDeadline(options: DeadlineOptions): StartedDeadline {
  const { provider, request, secrets } = options;
  const startedAt = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const abort = () => controller.abort();
  request.signal?.addEventListener('abort', abort, { once: true });
  if (request.signal?.aborted) controller.abort();
  const context = (): CallContext => ({
    provider,
    timedOut,
    aborted: request.signal?.aborted === true,
    timeoutMs: request.timeoutMs,
    secrets,
  });
  return {
    call: { signal: controller.signal, startedAt },
    fail: (error) => options.mapError(error, context()),
    end: (abortCall = false) => {
      if (abortCall) controller.abort();
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    },
  };
}

/**
 * Runs one provider call under `request.timeoutMs`, first token included:
 * the deadline and the caller's `request.signal` both abort the signal the
 * call gets, and anything the call throws is mapped to a {@link ProviderError}
 * that knows which of the two fired. The timer and the listener are always
 * removed.
 */
export async function withDeadline<T>(options: DeadlineOptions, run: (call: DeadlineCall) => Promise<T>): Promise<T> {
  const deadline = startDeadline(options);
  try {
    return await run(deadline.call);
  } catch (error) {
    throw deadline.fail(error);
  } finally {
    deadline.end();
  }
}

/**
 * {@link withDeadline} for a call whose result is read as it comes: yields
 * what `run` yields, under the same deadline (the whole stream, first item
 * included) and the same error mapping. A consumer that stops early (a
 * `break`, a `return()`) aborts the call, so the HTTP stream is closed.
 */
export async function* streamWithDeadline<T>(
  options: DeadlineOptions,
  run: (call: DeadlineCall) => AsyncIterable<T>,
): AsyncGenerator<T, void, undefined> {
  const deadline = startDeadline(options);
  let finished = false;
  try {
    yield* run(deadline.call);
    finished = true;
  } catch (error) {
    finished = true;
    throw deadline.fail(error);
  } finally {
    deadline.end(!finished);
  }
}
