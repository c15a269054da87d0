import { describe, expect, it } from 'vitest';
import {
  modelVariable,
  normalizeProviderId,
  PROVIDER_IDS,
  PROVIDER_VARIABLE_LIST,
  PROVIDERS,
  providerChoices,
} from './provider-registry.js';

describe('the provider registry', () => {
  it('lists its rows in display order, each variable once', () => {
    expect(PROVIDER_IDS).toEqual([
      'azure-openai',
      'openai',
      'anthropic',
      'gemini',
      'mistral',
      'xai',
      'ollama',
      'heuristic',
    ]);
    const names = PROVIDER_VARIABLE_LIST.map(({ name }) => name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('names the variable that holds each default model', () => {
    expect(modelVariable('openai')).toBe('OPENAI_MODEL');
    expect(modelVariable('gemini')).toBe('GOOGLE_MODEL');
    expect(modelVariable('azure-openai')).toBe('AZURE_OPENAI_DEPLOYMENT_NAME');
    expect(modelVariable('heuristic')).toBeUndefined();
    expect(PROVIDERS.heuristic.builtInModel).toBe('mad');
  });

  it('maps aliases onto ids and lists them in messages', () => {
    expect(normalizeProviderId(' Grok ')).toBe('xai');
    expect(normalizeProviderId('OpenAI')).toBe('openai');
    expect(providerChoices()).toBe(
      'azure-openai, openai, anthropic, gemini, mistral, xai, ollama, heuristic (or grok)',
    );
  });
});
