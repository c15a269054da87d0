import OpenAI from 'openai';
import { requireApiKey } from '../errors/require-api-key.js';
import { createChatCompletionsProvider } from '../openai/chat-completions-provider.js';
import { explicitClientOptions } from '../openai/client-options.js';
import type { AnalysisProvider } from '../provider.js';
import { mapXaiUsage } from './map-xai-usage.js';
import { xaiErrorBody } from './xai-error-body.js';

export const XAI_DEFAULT_BASE_URL = 'https://api.x.ai/v1';

export interface XAIProviderOptions {
  /** Sent as `Authorization: Bearer` (`XAI_API_KEY`). */
  apiKey: string;
  /** @defaultValue {@link XAI_DEFAULT_BASE_URL} ('https://api.x.ai/v1'; `XAI_BASE_URL` overrides) */
  baseURL?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

/**
 * xAI (Grok) through the official OpenAI SDK: xAI's OpenAI-compatible
 * Chat Completions, streamed, with strict JSON-schema output. Reasoning
 * tokens count as output; xAI's `{"code","error"}` error bodies are read.
 */
export function createXAIProvider(options: XAIProviderOptions): AnalysisProvider {
  const provider = 'xai';
  const apiKey = requireApiKey(provider, options.apiKey);
  const client = new OpenAI({
    apiKey,
    baseURL: options.baseURL || XAI_DEFAULT_BASE_URL,
    ...explicitClientOptions(options.fetch),
  });
  return createChatCompletionsProvider({
    providerId: provider,
    client,
    secrets: [apiKey],
    maxTokensParameter: 'max_tokens',
    mapUsage: mapXaiUsage,
    errorBody: xaiErrorBody,
  });
}
