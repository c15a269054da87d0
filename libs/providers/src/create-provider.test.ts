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

  it('builds every provider from its settings, each reporting its own id', () => {
    const key = { configured: true, apiKey: 'k-0123456789' };
    expect(createProvider('anthropic', key).id).toBe('anthropic');
    expect(createProvider('gemini', key).id).toBe('gemini');
    expect(createProvider('mistral', key).id).toBe('mistral');
    expect(createProvider('xai', key).id).toBe('xai');
    expect(
      createProvider('azure-openai', { ...key, baseURL: 'https://example.openai.azure.com', apiVersion: '2024-10-21' })
        .id,
    ).toBe('azure-openai');
    expect(createProvider('ollama', { configured: true, baseURL: 'http://127.0.0.1:11434' }).id).toBe('ollama');
  });

  it('never builds a provider without what it needs, and never another in its place', () => {
    for (const [id, settings] of [
      ['anthropic', { configured: true }],
      ['azure-openai', { configured: true, apiKey: 'k-0123456789' }],
      ['ollama', { configured: true }],
    ] as const) {
      const error = thrown(() => createProvider(id, settings));
      expect(ProviderError.isInstance(error) && error.kind).toBe('permanent');
      expect(error instanceof Error && error.message).toBe(`provider ${id} is not configured`);
    }
  });
});
