import type { ProviderSettings as ConfigProviderSettings, ProviderId } from '@turbostream/contracts';
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

/**
 * What a provider needs from the configuration: the config's settings, every field optional (tests and tools build
 * providers from a base URL and a key alone).
 */
export type ProviderSettings = Partial<Omit<ConfigProviderSettings, 'id'>>;

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

/** Builds one provider; `need` returns a setting it cannot do without, or throws "not configured". */
type ProviderFactory = (
  need: (value: string | undefined) => string,
  settings: ProviderSettings,
  options: CreateProviderOptions,
) => AnalysisProvider;

const withFetch = ({ fetch }: CreateProviderOptions) => (fetch ? { fetch } : {});
const withBaseURL = ({ baseURL }: ProviderSettings) => (baseURL ? { baseURL } : {});

/**
 * The factory column of the provider registry (libs/contracts/src/provider-registry.ts),
 * keyed by the same ids: a provider without a factory, or a factory without a row, does not compile.
 */
export const PROVIDER_FACTORIES = {
  'azure-openai': (need, settings, options) =>
    createAzureOpenAIProvider({
      endpoint: need(settings.baseURL),
      apiKey: need(settings.apiKey),
      ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
      ...withFetch(options),
    }),
  openai: (need, settings, options) =>
    createOpenAIProvider({ apiKey: need(settings.apiKey), ...withBaseURL(settings), ...withFetch(options) }),
  anthropic: (need, settings, options) =>
    createAnthropicProvider({ apiKey: need(settings.apiKey), ...withBaseURL(settings), ...withFetch(options) }),
  gemini: (need, settings, options) =>
    createGeminiProvider({ apiKey: need(settings.apiKey), ...withBaseURL(settings), ...withFetch(options) }),
  mistral: (need, settings, options) =>
    createMistralProvider({ apiKey: need(settings.apiKey), ...withBaseURL(settings), ...withFetch(options) }),
  xai: (need, settings, options) =>
    createXAIProvider({ apiKey: need(settings.apiKey), ...withBaseURL(settings), ...withFetch(options) }),
  ollama: (need, settings, options) =>
    createOllamaProvider({
      baseURL: need(settings.baseURL),
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      ...withFetch(options),
    }),
  heuristic: (_need, _settings, options) => createHeuristicProvider(options.heuristic),
} satisfies Record<ProviderId, ProviderFactory>;

/**
 * Builds the provider with this id, and only that one: an unavailable or
 * unconfigured provider is a permanent error, never replaced by another.
 */
export function createProvider(
  id: ProviderId,
  settings: ProviderSettings,
  options: CreateProviderOptions = {},
): AnalysisProvider {
  if (settings.configured === false) throw notConfigured(id, settings);
  const need = (value: string | undefined): string => {
    if (!value) throw notConfigured(id, settings);
    return value;
  };
  return PROVIDER_FACTORIES[id](need, settings, options);
}
