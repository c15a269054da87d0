import { describe, expect, it } from 'vitest';
import { createProvider } from './create-provider.js';
import { ProviderError } from './errors/provider-error.js';

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createProvider', () => {
  it('builds the heuristic and openai providers', () => {
    expect(createProvider('heuristic', {}).id).toBe('heuristic');
    expect(createProvider('openai', { configured: true, apiKey: 'sk-test-0123456789' }).id).toBe('openai');
  });

  it('refuses an unconfigured provider, naming what is missing', () => {
    const error = thrown(() => createProvider('openai', { configured: false, missing: ['OPENAI_API_KEY'] }));
    expect(ProviderError.isInstance(error) && error.kind).toBe('permanent');
    expect(error instanceof Error && error.message).toBe('provider openai is not configured (missing OPENAI_API_KEY)');
  });

  it('says clearly which providers this build does not have, and never falls back', () => {
    for (const id of ['anthropic', 'gemini', 'mistral', 'xai', 'azure-openai', 'ollama'] as const) {
      const error = thrown(() => createProvider(id, { configured: true, apiKey: 'k-0123456789' }));
      expect(ProviderError.isInstance(error) && error.kind).toBe('permanent');
      expect(error instanceof Error && error.message).toBe(`provider ${id} is not available in this build yet`);
    }
  });
});
