import type { ProviderId } from '@turbostream/contracts';
import { assertNever, ProviderError } from './errors/provider-error.js';
import { createHeuristicProvider } from './heuristic/heuristic-provider.js';
import { createOpenAIProvider } from './openai/openai-provider.js';
import type { AnalysisProvider } from './provider.js';

/** What a provider needs from the configuration (a subset of the config's `ProviderSettings`). */
export interface ProviderSettings {
  /** True when every required variable is set. */
  configured?: boolean;
  /** Required variables that are not set, named in the error. */
  missing?: readonly string[];
  apiKey?: string;
  baseURL?: string;
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
  switch (id) {
    case 'heuristic':
      return createHeuristicProvider(options.heuristic);
    case 'openai':
      if (settings.configured === false || !settings.apiKey) throw notConfigured(id, settings);
      return createOpenAIProvider({
        apiKey: settings.apiKey,
        ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
    case 'anthropic':
    case 'gemini':
    case 'mistral':
    case 'xai':
    case 'azure-openai':
    case 'ollama':
      throw new ProviderError({ provider: id, kind: 'permanent', message: `provider ${id} is not available in this build yet` });
    default:
      return assertNever(id);
  }
}
