import type { AnalysisUsage } from '../provider.js';

/** What every provider's stream collector gathers besides the answer, and what {@link finishResult} reads. */
export interface CollectedStream {
  /** Milliseconds from the start of the call to the first answer token; undefined when none came. */
  ttftMs: number | undefined;
  /** The provider's own finish reason; undefined when the stream ended before the answer was complete. */
  finishReason: string | undefined;
  /** Zeros when the provider reported no usage. */
  usage: AnalysisUsage;
  responseId: string | undefined;
}

/** Where a collector starts: nothing received yet. */
export function emptyCollectedStream(): CollectedStream {
  return {
    ttftMs: undefined,
    finishReason: undefined,
    usage: { inputTokens: 0, outputTokens: 0 },
    responseId: undefined,
  };
}

/**
 * Reads one provider's stream an event at a time, for an analysis (which
 * needs the whole answer) and a question (whose answer is passed on as it
 * comes) alike.
 */
export interface StreamReader<Event, Collected extends CollectedStream> {
  /** Takes one event in; returns the answer text it adds ('' for none: a role, reasoning, usage…). */
  read(event: Event): string;
  /** What the events read so far add up to. */
  result(): Collected;
}

/** Reads a stream to its end with `reader`. */
export async function collectStream<Event, Collected extends CollectedStream>(
  stream: AsyncIterable<Event>,
  reader: StreamReader<Event, Collected>,
): Promise<Collected> {
  for await (const event of stream) reader.read(event);
  return reader.result();
}
