import { describe, expect, it } from 'vitest';
import { SECRET_VARIABLES } from './env-schema.js';
import { defaultConfig, serviceConfigs } from './load-config.js';

describe('serviceConfigs', () => {
  // Every key set to a fake value of its own, so each can be looked for.
  const keys = Object.fromEntries([...SECRET_VARIABLES].map((name) => [name, `fake-${name.toLowerCase()}-0123456789`]));
  const whole = defaultConfig(keys);
  const parts = serviceConfigs(whole);

  it('hands the providers, with their keys, to the analyzer', () => {
    expect(whole.providers.openai.apiKey).toBe(keys.OPENAI_API_KEY);
    expect(parts.analyzer.providers).toEqual(whole.providers);
  });

  it.each(['ingest', 'windower'] as const)('gives %s no secret value and no providers', (service) => {
    const text = JSON.stringify(parts[service]);
    for (const value of Object.values(keys)) expect(text).not.toContain(value);
    expect(parts[service]).not.toHaveProperty('providers');
    expect(parts[service]).not.toHaveProperty('defaultProvider');
  });
});
