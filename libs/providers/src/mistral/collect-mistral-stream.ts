import type { CompletionEvent, DeltaMessage, UsageInfo } from '@mistralai/mistralai/models/components';
import { z } from 'zod';
import {
  type CollectedStream,
  collectStream,
  emptyCollectedStream,
  type StreamReader,
} from '../call/collected-stream.js';
import type { AnalysisUsage } from '../provider.js';

/** What a streamed Mistral chat completion added up to. */
export interface CollectedMistralChat extends CollectedStream {
  /** The answer text (reasoning chunks left out). */
  content: string;
  /** Milliseconds from `startedAt` to the first non-empty answer text; undefined when none came. */
  ttftMs: number | undefined;
  /** The choice's `finish_reason`; undefined when the stream ended before one came. */
  finishReason: string | undefined;
  responseModel: string | undefined;
}

/** `usage.prompt_tokens_details`, which the SDK passes through under its wire name. */
const PromptTokensDetails = z.object({ cached_tokens: z.number().int().nonnegative() });

/**
 * The answer text of a delta: a string, or the `text` chunks of a chunk list (`thinking` chunks are reasoning, not
 * answer).
 */
export function deltaText(delta: DeltaMessage): string {
  const content = delta.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((chunk) => (chunk.type === 'text' && 'text' in chunk && typeof chunk.text === 'string' ? chunk.text : ''))
    .join('');
}

/** Maps Mistral's usage (cached prompt tokens under `prompt_tokens_details.cached_tokens`) onto the shared shape. */
export function mapMistralUsage(usage: UsageInfo): AnalysisUsage {
  const details = PromptTokensDetails.safeParse(usage.prompt_tokens_details ?? usage.promptTokensDetails);
  return {
    inputTokens: usage.promptTokens ?? 0,
    outputTokens: usage.completionTokens ?? 0,
    ...(details.success ? { cachedInputTokens: details.data.cached_tokens } : {}),
  };
}

/**
 * Reads a Mistral chat stream an event at a time, accumulating choice 0 (its
 * text, reasoning left out, is each event's answer text) and the usage that
 * comes with the last chunk.
 */
export function mistralStreamReader(
  startedAt: number,
  now: () => number = () => performance.now(),
): StreamReader<CompletionEvent, CollectedMistralChat> {
  const collected: CollectedMistralChat = { ...emptyCollectedStream(), content: '', responseModel: undefined };
  return {
    read(event) {
      const chunk = event.data;
      collected.responseId ??= chunk.id;
      collected.responseModel ??= chunk.model;
      const choice = chunk.choices.find((candidate) => candidate.index === 0);
      const text = choice ? deltaText(choice.delta) : '';
      if (text && collected.ttftMs === undefined) collected.ttftMs = now() - startedAt;
      collected.content += text;
      if (choice?.finishReason) collected.finishReason = choice.finishReason;
      if (chunk.usage) collected.usage = mapMistralUsage(chunk.usage);
      return text;
    },
    result: () => collected,
  };
}

/** Reads a Mistral chat stream to its end ({@link mistralStreamReader}). */
export function collectMistralStream(
  stream: AsyncIterable<CompletionEvent>,
  startedAt: number,
  now: () => number = () => performance.now(),
): Promise<CollectedMistralChat> {
  return collectStream(stream, mistralStreamReader(startedAt, now));
}
