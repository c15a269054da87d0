import type { ProviderId } from '@turbostream/contracts';
import type { ProviderError } from '../errors/provider-error.js';
import type { AskChunk, AskRequest } from '../provider.js';
import type { CallContext } from './call-context.js';
import { type DeadlineCall, streamWithDeadline } from './call-deadline.js';
import type { CollectedStream, StreamReader } from './collected-stream.js';
import { callTimings, type StreamEndOptions, streamEnd } from './finish-result.js';

/** One provider's way of asking: how to open its stream, read it, and read how it ended. */
export interface AskCallOptions<Event, Collected extends CollectedStream> {
  provider: ProviderId;
  request: AskRequest;
  /** The API key, stripped from every error message. */
  secrets: readonly (string | undefined)[];
  /** The provider's own error mapping, the one its analyses use. */
  mapError: (error: unknown, context: CallContext) => ProviderError;
  /** Sends the request; resolves with the SDK's stream of events. */
  open: (call: DeadlineCall) => Promise<AsyncIterable<Event>>;
  /** The provider's stream reader (the one its analyses collect with), started at `startedAt`. */
  reader: (startedAt: number) => StreamReader<Event, Collected>;
  /** How the stream ended, read from what was collected (a refusal, a blocked prompt, an `error` finish). */
  end: (collected: Collected) => Omit<StreamEndOptions, 'provider'>;
  /** The answer text collected, for the message of a stream that ended early. */
  received: (collected: Collected) => string;
}

/**
 * A question's answer, streamed: the provider's request under the request's
 * deadline ({@link streamWithDeadline}: first token included, the caller's
 * signal, errors mapped as the provider maps them), each event read by the
 * provider's own reader and its answer text yielded at once, then the end of
 * the stream read as an analysis reads it ({@link streamEnd}: an aborted or
 * unfinished stream is a failure, never a short answer) and one `done` chunk
 * with the finish reason, the timings and the usage.
 */
export function askCall<Event, Collected extends CollectedStream>(
  options: AskCallOptions<Event, Collected>,
): AsyncGenerator<AskChunk, void, undefined> {
  const { provider, request, secrets, mapError } = options;
  return streamWithDeadline({ provider, request, secrets, mapError }, async function* (call) {
    const stream = await options.open(call);
    const reader = options.reader(call.startedAt);
    for await (const event of stream) {
      const text = reader.read(event);
      if (text) yield { type: 'text', text } satisfies AskChunk;
    }
    const collected = reader.result();
    const finishReason = streamEnd(
      call,
      collected,
      { provider, ...options.end(collected) },
      options.received(collected).length,
    );
    yield { type: 'done', finishReason, timings: callTimings(call, collected), usage: collected.usage };
  });
}
