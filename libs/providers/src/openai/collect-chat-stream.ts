import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { AnalysisUsage } from '../provider.js';

/** What a streamed chat completion added up to. */
export interface CollectedChat {
  content: string;
  refusal: string;
  /** Milliseconds from `startedAt` to the first non-empty content (or refusal) delta; undefined when none came. */
  ttftMs: number | undefined;
  /** The choice's `finish_reason`; undefined when the stream ended before one came. */
  finishReason: string | undefined;
  usage: AnalysisUsage;
  responseId: string | undefined;
  responseModel: string | undefined;
}

/** Reads a Chat Completions stream to its end, accumulating choice 0 and the usage chunk. */
export async function collectChatStream(stream: AsyncIterable<ChatCompletionChunk>, startedAt: number, now: () => number = () => performance.now()): Promise<CollectedChat> {
  const collected: CollectedChat = {
    content: '',
    refusal: '',
    ttftMs: undefined,
    finishReason: undefined,
    usage: { inputTokens: 0, outputTokens: 0 },
    responseId: undefined,
    responseModel: undefined,
  };
  for await (const chunk of stream) {
    collected.responseId ??= chunk.id;
    collected.responseModel ??= chunk.model;
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    const content = choice?.delta.content ?? '';
    const refusal = choice?.delta.refusal ?? '';
    if ((content || refusal) && collected.ttftMs === undefined) collected.ttftMs = now() - startedAt;
    collected.content += content;
    collected.refusal += refusal;
    if (choice?.finish_reason) collected.finishReason = choice.finish_reason;
    if (chunk.usage) {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
      collected.usage = {
        inputTokens: chunk.usage.prompt_tokens,
        outputTokens: chunk.usage.completion_tokens,
        ...(typeof cached === 'number' ? { cachedInputTokens: cached } : {}),
      };
    }
  }
  return collected;
}
