import { PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import type { Env } from './env-schema.js';
import type { ProviderSettings } from './types.js';

/** The variables each provider requires and reads (design.md, "Providers"). */
export const PROVIDER_VARIABLES: Record<ProviderId, { required: string[]; optional: string[] }> = {
  'azure-openai': { required: ['AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_DEPLOYMENT_NAME'], optional: ['AZURE_OPENAI_API_VERSION'] },
  openai: { required: ['OPENAI_API_KEY'], optional: ['OPENAI_MODEL', 'OPENAI_BASE_URL'] },
  anthropic: { required: ['ANTHROPIC_API_KEY'], optional: ['ANTHROPIC_MODEL', 'ANTHROPIC_BASE_URL'] },
  gemini: { required: ['GOOGLE_API_KEY'], optional: ['GEMINI_API_KEY', 'GOOGLE_MODEL', 'GOOGLE_BASE_URL'] },
  mistral: { required: ['MISTRAL_API_KEY'], optional: ['MISTRAL_MODEL', 'MISTRAL_BASE_URL'] },
  xai: { required: ['XAI_API_KEY'], optional: ['XAI_MODEL', 'XAI_BASE_URL'] },
  ollama: { required: ['OLLAMA_BASE_URL'], optional: ['OLLAMA_MODEL'] },
  heuristic: { required: [], optional: ['HEURISTIC_THRESHOLD'] },
};

function settings(id: ProviderId, values: Omit<ProviderSettings, 'id' | 'configured' | 'missing'>, required: Array<[string, unknown]>): ProviderSettings {
  const missing = required.filter(([, value]) => value === undefined).map(([name]) => name);
  const defined = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  return { id, configured: missing.length === 0, missing, ...defined };
}

/** Reads every provider's settings from the validated environment. */
export function resolveProviders(env: Env): Record<ProviderId, ProviderSettings> {
  const googleKey = env.GOOGLE_API_KEY ?? env.GEMINI_API_KEY;
  const all: Record<ProviderId, ProviderSettings> = {
    'azure-openai': settings(
      'azure-openai',
      { apiKey: env.AZURE_OPENAI_API_KEY, baseURL: env.AZURE_OPENAI_ENDPOINT, deployment: env.AZURE_OPENAI_DEPLOYMENT_NAME, model: env.AZURE_OPENAI_DEPLOYMENT_NAME, apiVersion: env.AZURE_OPENAI_API_VERSION },
      [['AZURE_OPENAI_ENDPOINT', env.AZURE_OPENAI_ENDPOINT], ['AZURE_OPENAI_API_KEY', env.AZURE_OPENAI_API_KEY], ['AZURE_OPENAI_DEPLOYMENT_NAME', env.AZURE_OPENAI_DEPLOYMENT_NAME]],
    ),
    openai: settings('openai', { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, model: env.OPENAI_MODEL }, [['OPENAI_API_KEY', env.OPENAI_API_KEY]]),
    anthropic: settings('anthropic', { apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL, model: env.ANTHROPIC_MODEL }, [['ANTHROPIC_API_KEY', env.ANTHROPIC_API_KEY]]),
    gemini: settings('gemini', { apiKey: googleKey, baseURL: env.GOOGLE_BASE_URL, model: env.GOOGLE_MODEL }, [['GOOGLE_API_KEY', googleKey]]),
    mistral: settings('mistral', { apiKey: env.MISTRAL_API_KEY, baseURL: env.MISTRAL_BASE_URL, model: env.MISTRAL_MODEL }, [['MISTRAL_API_KEY', env.MISTRAL_API_KEY]]),
    xai: settings('xai', { apiKey: env.XAI_API_KEY, baseURL: env.XAI_BASE_URL, model: env.XAI_MODEL }, [['XAI_API_KEY', env.XAI_API_KEY]]),
    ollama: settings('ollama', { baseURL: env.OLLAMA_BASE_URL, model: env.OLLAMA_MODEL }, [['OLLAMA_BASE_URL', env.OLLAMA_BASE_URL]]),
    heuristic: { id: 'heuristic', configured: true, missing: [], model: 'mad' },
  };
  for (const id of PROVIDER_IDS) if (!all[id]) throw new Error(`provider ${id} has no settings`);
  return all;
}

/** The model variable of a provider, named in messages (`OPENAI_MODEL`). */
export function modelVariable(id: ProviderId): string | undefined {
  return PROVIDER_VARIABLES[id].optional.find((name) => name.endsWith('_MODEL')) ?? (id === 'azure-openai' ? 'AZURE_OPENAI_DEPLOYMENT_NAME' : undefined);
}
