import type { ProviderId } from '@turbostream/contracts';
import OpenAI from 'openai';
import { requireApiKey } from '../errors/require-api-key.js';
import type { AnalysisProvider } from '../provider.js';
import { createChatCompletionsProvider } from './chat-completions-provider.js';
import { explicitClientOptions } from './client-options.js';

export interface OpenAIProviderOptions {
  apiKey: string;
  /** @defaultValue 'https://api.openai.com/v1' */
  baseURL?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
  /**
   * Retries inside the SDK. Keep 0: retrying, and waiting out rate limits, is the queue's job.
   * @defaultValue 0
   */
  maxRetries?: number;
  /**
   * The id this provider reports, for OpenAI-compatible servers.
   * @defaultValue 'openai'
   */
  providerId?: ProviderId;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * The OpenAI provider, through the official SDK: streamed Chat Completions
 * with strict JSON-schema structured output, time to first token measured on
 * the stream, usage read from the final chunk.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): AnalysisProvider {
  const provider = options.providerId ?? 'openai';
  const apiKey = requireApiKey(provider, options.apiKey);
  const client = new OpenAI({
    apiKey,
    baseURL: options.baseURL ?? OPENAI_DEFAULT_BASE_URL,
    ...explicitClientOptions(options.fetch, options.maxRetries),
  });
  return createChatCompletionsProvider({ providerId: provider, client, secrets: [apiKey] });
}
