import { assertNever, type ProviderId } from '@turbostream/contracts';
import { ProviderError } from './errors/provider-error.js';
import { createAnthropicProvider } from './anthropic/anthropic-provider.js';
import { createAzureOpenAIProvider } from './azure-openai/azure-openai-provider.js';
import { createGeminiProvider } from './gemini/gemini-provider.js';
import { createHeuristicProvider } from './heuristic/heuristic-provider.js';
import { createMistralProvider } from './mistral/mistral-provider.js';
import { createOllamaProvider } from './ollama/ollama-provider.js';
import { createOpenAIProvider } from './openai/openai-provider.js';
import { createXAIProvider } from './xai/xai-provider.js';
import type { AnalysisProvider } from './provider.js';

/** What a provider needs from the configuration (a subset of the config's `ProviderSettings`). */
export interface ProviderSettings {
  /** True when every required variable is set. */
  configured?: boolean;
  /** Required variables that are not set, named in the error. */
  missing?: readonly string[];
  apiKey?: string;
  /** The base URL; for `azure-openai`, the resource endpoint. */
  baseURL?: string;
  /** `azure-openai` only: the REST API version. */
  apiVersion?: string;
}

export interface CreateProviderOptions {
  /** Options of the built-in heuristic provider. */
  heuristic?: { threshold?: number; minSamples?: number };
  /** A `fetch` for HTTP providers (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

function notConfigured(id: ProviderId, settings: ProviderSettings): ProviderError {
  const missing = settings.missing && settings.missing.length > 0 ? ` (missing ${settings.missing.join(', ')})` : '';
  return new ProviderError({ provider: id, kind: 'permanent', message: `provider ${id} is not configured${missing}` });
}

/**
 * Builds the provider with this id, and only that one: an unavailable or
 * unconfigured provider is a permanent error, never replaced by another.
 */
export function createProvider(id: ProviderId, settings: ProviderSettings, options: CreateProviderOptions = {}): AnalysisProvider {
  if (id === 'heuristic') return createHeuristicProvider(options.heuristic);
  if (settings.configured === false) throw notConfigured(id, settings);
  const fetch = options.fetch ? { fetch: options.fetch } : {};
  const baseURL = settings.baseURL ? { baseURL: settings.baseURL } : {};
  const apiKey = () => {
    if (!settings.apiKey) throw notConfigured(id, settings);
    return settings.apiKey;
  };
  switch (id) {
    case 'openai':
      return createOpenAIProvider({ apiKey: apiKey(), ...baseURL, ...fetch });
    case 'anthropic':
      return createAnthropicProvider({ apiKey: apiKey(), ...baseURL, ...fetch });
    case 'gemini':
      return createGeminiProvider({ apiKey: apiKey(), ...baseURL, ...fetch });
    case 'mistral':
      return createMistralProvider({ apiKey: apiKey(), ...baseURL, ...fetch });
    case 'xai':
      return createXAIProvider({ apiKey: apiKey(), ...baseURL, ...fetch });
    case 'azure-openai':
      if (!settings.baseURL) throw notConfigured(id, settings);
      return createAzureOpenAIProvider({ endpoint: settings.baseURL, apiKey: apiKey(), ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}), ...fetch });
    case 'ollama':
      if (!settings.baseURL) throw notConfigured(id, settings);
      return createOllamaProvider({ baseURL: settings.baseURL, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}), ...fetch });
    default:
      return assertNever(id);
  }
}
