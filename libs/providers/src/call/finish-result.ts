import type { ProviderId } from '@turbostream/contracts';
import { ProviderError } from '../errors/provider-error.js';
import type { FinishReason } from '../finish-reason.js';
import { parseModelAnswer } from '../parse-model-answer.js';
import { answerWithEntryIds, type EntryRefs } from '../prompt/entry-refs.js';
import type { AnalysisResult, AnalysisTimings } from '../provider.js';
import type { DeadlineCall } from './call-deadline.js';
import type { CollectedStream } from './collected-stream.js';

/** How a provider reads how its stream ended, whatever the answer is for. */
export interface StreamEndOptions {
  provider: ProviderId;
  mapFinishReason: (reason: string) => FinishReason;
  /** A failure that wins over a missing finish reason (a blocked prompt). */
  failFirst?: () => ProviderError | undefined;
  /** A failure read from a finished stream (a refusal, an `error` finish), checked before the answer is used. */
  fail?: (finishReason: FinishReason) => ProviderError | undefined;
}

/** How a provider reads the end of its stream. */
export interface FinishOptions extends StreamEndOptions {
  /** What the model wrote as its answer. */
  output: string;
  /** The refs the prompt showed (`Prompt.refs`): the answer's evidence cites them and leaves as entry ids. */
  refs: EntryRefs;
  /**
   * Why an answer that stopped this way may be unusable, added to an
   * invalid-output message; '' when nothing is wrong.
   * @defaultValue {@link finishProblem}
   */
  problem?: (finishReason: FinishReason, reason: string) => string;
  /** Provider-specific details kept for debugging. */
  raw: Record<string, unknown>;
}

/** Why an answer may be unusable, for finish reasons every provider shares. */
export function finishProblem(finishReason: FinishReason): string {
  if (finishReason === 'length') return 'cut off at the token limit';
  if (finishReason === 'content-filter') return 'stopped by the content filter';
  return '';
}

/**
 * How a stream ended, inside {@link withDeadline} or {@link streamWithDeadline}:
 * a stream the SDK ended because the call was aborted, or one that ended
 * without a finish reason (`received` characters of answer before it did), is
 * a failure, never an empty answer; so is what `failFirst` and `fail` find.
 * Every provider call, analysis or question, ends here.
 */
export function streamEnd(
  call: DeadlineCall,
  collected: CollectedStream,
  options: StreamEndOptions,
  received: number,
): FinishReason {
  const { provider } = options;
  // The SDKs end a stream quietly when it is aborted; the deadline maps this to a timeout or an abort.
  if (call.signal.aborted) throw new Error('aborted');
  const early = options.failFirst?.();
  if (early) throw early;
  if (collected.finishReason === undefined) {
    throw new ProviderError({
      provider,
      kind: 'transient',
      message: `${provider} stream ended before the answer was complete (${received} characters received)`,
    });
  }
  const finishReason = options.mapFinishReason(collected.finishReason);
  const failure = options.fail?.(finishReason);
  if (failure) throw failure;
  return finishReason;
}

/** Time to first token (the total when no token came) and total time, as a call ends. */
export function callTimings(call: DeadlineCall, collected: CollectedStream): AnalysisTimings {
  const totalMs = performance.now() - call.startedAt;
  return { ttftMs: collected.ttftMs ?? totalMs, totalMs };
}

/**
 * Turns a collected stream into an {@link AnalysisResult}, inside
 * {@link withDeadline}: the end of the stream read by {@link streamEnd}, then
 * the answer validated, its evidence turned from the refs the prompt showed
 * into entry ids (refs it did not show are dropped), and the timings taken.
 * Every provider that sends the analysis prompt ends here.
 */
export function finishResult(call: DeadlineCall, collected: CollectedStream, options: FinishOptions): AnalysisResult {
  const { provider, output } = options;
  const finishReason = streamEnd(call, collected, options, output.length);
  // The usage rides on an invalid-output error, so that a repair counts both calls.
  const answer = parseModelAnswer(
    provider,
    output,
    (options.problem ?? finishProblem)(finishReason, collected.finishReason ?? ''),
    collected.usage,
  );
  return {
    answer: answerWithEntryIds(answer, options.refs),
    timings: callTimings(call, collected),
    usage: collected.usage,
    finishReason,
    raw: options.raw,
  };
}
