import { AzureOpenAI } from 'openai';
import { ProviderError } from '../errors/provider-error.js';
import { requireApiKey } from '../errors/require-api-key.js';
import { createChatCompletionsProvider } from '../openai/chat-completions-provider.js';
import { explicitClientOptions } from '../openai/client-options.js';
import type { AnalysisProvider } from '../provider.js';
import { azureOpenAIBaseURL } from './azure-openai-base-url.js';

/**
 * The latest GA version of the Azure OpenAI inference API with a versioned
 * deployments path: structured outputs (json_schema), `stream_options.include_usage`
 * and `max_completion_tokens` are all GA in it.
 */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

export interface AzureOpenAIProviderOptions {
  /** The resource endpoint, e.g. `https://my-resource.openai.azure.com/` (`AZURE_OPENAI_ENDPOINT`). */
  endpoint: string;
  /** Sent as the `api-key` header (`AZURE_OPENAI_API_KEY`). */
  apiKey: string;
  /** @defaultValue {@link AZURE_OPENAI_DEFAULT_API_VERSION} ('2024-10-21') */
  apiVersion?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Azure OpenAI through the official SDK's `AzureOpenAI` client. The job's
 * model is the *deployment name*: requests go to
 * `{endpoint}/openai/deployments/{model}/chat/completions?api-version={apiVersion}`
 * with an `api-key` header. Streamed, strict JSON-schema output; a
 * `content_filter` finish is reported as `content-filter`.
 */
export function createAzureOpenAIProvider(options: AzureOpenAIProviderOptions): AnalysisProvider {
  const provider = 'azure-openai';
  const apiKey = requireApiKey(provider, options.apiKey);
  const baseURL = azureOpenAIBaseURL(options.endpoint);
  if (!baseURL)
    throw new ProviderError({
      provider,
      kind: 'permanent',
      message: `provider ${provider} has no valid endpoint: ${JSON.stringify(options.endpoint)}`,
    });
  // Given a baseURL (never `endpoint`), an apiVersion and a key, the client reads nothing from the environment.
  const client = new AzureOpenAI({
    apiKey,
    apiVersion: options.apiVersion || AZURE_OPENAI_DEFAULT_API_VERSION,
    baseURL,
    ...explicitClientOptions(options.fetch),
  });
  return createChatCompletionsProvider({ providerId: provider, client, secrets: [apiKey] });
}
