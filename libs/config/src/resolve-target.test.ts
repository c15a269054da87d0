import { describe, expect, it } from 'vitest';
import { defaultConfig } from './load-config.js';
import { resolveTarget } from './streams-file.js';

describe('resolveTarget (the streams file and `turbostream streams set`)', () => {
  const providers = defaultConfig({ OPENAI_MODEL: 'gpt-4o-mini' }).providers;

  it('fills in the default provider when one is given, and the provider model from its variable', () => {
    expect(resolveTarget({}, { providers, defaultProvider: 'openai' })).toEqual({
      target: { provider: 'openai', model: 'gpt-4o-mini' },
    });
    expect(resolveTarget({ provider: 'grok', model: 'grok-4' }, { providers })).toEqual({
      target: { provider: 'xai', model: 'grok-4' },
    });
  });

  it('says which field is wrong and how to name it, in the words of the caller', () => {
    expect(resolveTarget({ provider: 'chatgpt' }, { providers })).toEqual({
      field: 'provider',
      message: expect.stringMatching(
        /^unknown provider "chatgpt": expected one of azure-openai, openai, .* \(or grok\)$/,
      ),
    });
    expect(resolveTarget({}, { providers })).toEqual({
      field: 'provider',
      message: 'no provider: name one here or set DEFAULT_AI_PROVIDER',
    });
    expect(resolveTarget({ provider: 'anthropic' }, { providers, nameIt: 'name one (--model M)' })).toEqual({
      field: 'model',
      message: 'no model for anthropic: name one (--model M) or set ANTHROPIC_MODEL',
    });
  });
});
