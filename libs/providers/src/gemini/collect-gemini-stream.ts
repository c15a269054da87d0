import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import {
  type CollectedStream,
  collectStream,
  emptyCollectedStream,
  type StreamReader,
} from '../call/collected-stream.js';
import type { AnalysisUsage } from '../provider.js';

/** What a `streamGenerateContent` stream added up to. */
export interface CollectedGemini extends CollectedStream {
  /** The answer text of candidate 0 (thought parts left out). */
  text: string;
  /** Milliseconds from `startedAt` to the first non-empty answer text; undefined when none came. */
  ttftMs: number | undefined;
  /** Candidate 0's `finishReason`; undefined when the stream ended before one came. */
  finishReason: string | undefined;
  /** `promptFeedback.blockReason`: the prompt itself was refused. */
  blockReason: string | undefined;
  blockReasonMessage: string | undefined;
  modelVersion: string | undefined;
}

/**
 * Maps Gemini `usageMetadata` onto {@link AnalysisUsage}. Output counts the
 * answer and the thinking tokens (both are billed as output, as OpenAI's
 * `completion_tokens` counts reasoning); input includes cached tokens.
 */
export function mapGeminiUsage(usage: GenerateContentResponseUsageMetadata): AnalysisUsage {
  const cached = usage.cachedContentTokenCount;
  return {
    inputTokens: usage.promptTokenCount ?? 0,
    outputTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
    ...(typeof cached === 'number' ? { cachedInputTokens: cached } : {}),
  };
}

/**
 * Reads a Gemini stream an event at a time, accumulating candidate 0 (its
 * non-thought text is each chunk's answer text). Each chunk's `usageMetadata`
 * is a running total, so the last one wins.
 */
export function geminiStreamReader(
  startedAt: number,
  now: () => number = () => performance.now(),
): StreamReader<GenerateContentResponse, CollectedGemini> {
  const collected: CollectedGemini = {
    ...emptyCollectedStream(),
    text: '',
    blockReason: undefined,
    blockReasonMessage: undefined,
    modelVersion: undefined,
  };
  return {
    read(chunk) {
      collected.modelVersion ??= chunk.modelVersion;
      collected.responseId ??= chunk.responseId;
      if (chunk.promptFeedback?.blockReason) {
        collected.blockReason = chunk.promptFeedback.blockReason;
        collected.blockReasonMessage = chunk.promptFeedback.blockReasonMessage;
      }
      const candidate = chunk.candidates?.find((entry) => (entry.index ?? 0) === 0);
      const text = (candidate?.content?.parts ?? [])
        .filter((part) => part.thought !== true)
        .map((part) => part.text ?? '')
        .join('');
      if (text && collected.ttftMs === undefined) collected.ttftMs = now() - startedAt;
      collected.text += text;
      if (candidate?.finishReason) collected.finishReason = candidate.finishReason;
      if (chunk.usageMetadata) collected.usage = mapGeminiUsage(chunk.usageMetadata);
      return text;
    },
    result: () => collected,
  };
}

/** Reads a Gemini stream to its end ({@link geminiStreamReader}). */
export function collectGeminiStream(
  stream: AsyncIterable<GenerateContentResponse>,
  startedAt: number,
  now: () => number = () => performance.now(),
): Promise<CollectedGemini> {
  return collectStream(stream, geminiStreamReader(startedAt, now));
}
