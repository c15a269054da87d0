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
