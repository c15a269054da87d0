import type { CompletionUsage } from 'openai/resources/completions';
import type { AnalysisUsage } from '../provider.js';

/** Turns a Chat Completions `usage` object into the shared usage shape. */
export type UsageMapper = (usage: CompletionUsage) => AnalysisUsage;

/** A token count, or 0 when the server left it out (local servers sometimes do). */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * OpenAI's usage: `prompt_tokens` includes the cached tokens and
 * `completion_tokens` includes the reasoning tokens, so both are taken as they are.
 */
export function mapOpenAIUsage(usage: CompletionUsage): AnalysisUsage {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return {
    inputTokens: tokenCount(usage.prompt_tokens),
    outputTokens: tokenCount(usage.completion_tokens),
    ...(typeof cached === 'number' ? { cachedInputTokens: tokenCount(cached) } : {}),
  };
}
