import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import {
  type CollectedStream,
  collectStream,
  emptyCollectedStream,
  type StreamReader,
} from '../call/collected-stream.js';
import { mapOpenAIUsage, type UsageMapper } from './map-chat-usage.js';

/** What a streamed chat completion added up to. */
export interface CollectedChat extends CollectedStream {
  content: string;
  refusal: string;
  /** Milliseconds from `startedAt` to the first non-empty content (or refusal) delta; undefined when none came. */
  ttftMs: number | undefined;
  /** The choice's `finish_reason`; undefined when the stream ended before one came. */
  finishReason: string | undefined;
  responseModel: string | undefined;
}

export interface CollectChatStreamOptions {
  /** @defaultValue () => performance.now() */
  now?: () => number;
  /** @defaultValue mapOpenAIUsage */
  mapUsage?: UsageMapper;
}

/**
 * Reads a Chat Completions stream an event at a time, accumulating choice 0
 * and the usage chunk; each chunk's content delta is its answer text.
 * Tolerates what other servers add: Azure's prompt-filter chunk (empty `id`,
 * `model` and `choices`) and choices without a `delta`.
 */
export function chatStreamReader(
  startedAt: number,
  options: CollectChatStreamOptions = {},
): StreamReader<ChatCompletionChunk, CollectedChat> {
  const now = options.now ?? (() => performance.now());
  const mapUsage = options.mapUsage ?? mapOpenAIUsage;
  const collected: CollectedChat = { ...emptyCollectedStream(), content: '', refusal: '', responseModel: undefined };
  return {
    read(chunk) {
      if (!collected.responseId && chunk.id) collected.responseId = chunk.id;
      if (!collected.responseModel && chunk.model) collected.responseModel = chunk.model;
      const choice = chunk.choices?.find((candidate) => candidate.index === 0);
      const content = choice?.delta?.content ?? '';
      const refusal = choice?.delta?.refusal ?? '';
      if ((content || refusal) && collected.ttftMs === undefined) collected.ttftMs = now() - startedAt;
      collected.content += content;
      collected.refusal += refusal;
      if (choice?.finish_reason) collected.finishReason = choice.finish_reason;
      if (chunk.usage) collected.usage = mapUsage(chunk.usage);
      return content;
    },
    result: () => collected,
  };
}

/** Reads a Chat Completions stream to its end ({@link chatStreamReader}). */
export function collectChatStream(
  stream: AsyncIterable<ChatCompletionChunk>,
  startedAt: number,
  options: CollectChatStreamOptions = {},
): Promise<CollectedChat> {
  return collectStream(stream, chatStreamReader(startedAt, options));
}
