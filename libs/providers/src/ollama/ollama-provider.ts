import OpenAI from 'openai';
import { ProviderError } from '../errors/provider-error.js';
import { createChatCompletionsProvider } from '../openai/chat-completions-provider.js';
import { explicitClientOptions } from '../openai/client-options.js';
import type { AnalysisProvider } from '../provider.js';
import { ollamaBaseURL } from './ollama-base-url.js';

/** What the SDK sends when no key is given: it requires one, local servers ignore it. */
export const OLLAMA_PLACEHOLDER_API_KEY = 'ollama';

export interface OllamaProviderOptions {
  /** The server, e.g. `http://localhost:11434/v1` (`OLLAMA_BASE_URL`); without a path, `/v1` is added. */
  baseURL: string;
  /** For compatible servers that check one (vLLM, LM Studio, a gateway). @defaultValue the placeholder 'ollama' */
  apiKey?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Ollama, or any OpenAI-compatible local server, through the official
 * OpenAI SDK: streamed Chat Completions with JSON-schema output and
 * `max_tokens` (the field such servers read). Usage a server does not
 * report counts as zero.
 */
export function createOllamaProvider(options: OllamaProviderOptions): AnalysisProvider {
  const provider = 'ollama';
  const baseURL = ollamaBaseURL(options.baseURL);
  if (!baseURL)
    throw new ProviderError({
      provider,
      kind: 'permanent',
      message: `provider ${provider} has no valid base URL: ${JSON.stringify(options.baseURL)}`,
    });
  const apiKey = options.apiKey || OLLAMA_PLACEHOLDER_API_KEY;
  const client = new OpenAI({ apiKey, baseURL, ...explicitClientOptions(options.fetch) });
  return createChatCompletionsProvider({
    providerId: provider,
    client,
    secrets: [options.apiKey],
    maxTokensParameter: 'max_tokens',
  });
}
