import type { CompletionUsage } from 'openai/resources/completions';
import { tokenCount } from '../openai/map-chat-usage.js';
import type { AnalysisUsage } from '../provider.js';

/**
 * xAI's usage: `prompt_tokens` includes the cached tokens, but unlike
 * OpenAI, `completion_tokens` leaves out the reasoning tokens
 * (`total_tokens` = prompt + completion + reasoning), which are billed as
 * output: they are added to the output tokens.
 */
export function mapXaiUsage(usage: CompletionUsage): AnalysisUsage {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = tokenCount(usage.completion_tokens_details?.reasoning_tokens);
  return {
    inputTokens: tokenCount(usage.prompt_tokens),
    outputTokens: tokenCount(usage.completion_tokens) + reasoning,
    ...(typeof cached === 'number' ? { cachedInputTokens: tokenCount(cached) } : {}),
  };
}
