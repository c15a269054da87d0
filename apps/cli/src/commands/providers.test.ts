import { PROVIDER_IDS } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { PROVIDERS_HELP } from './providers.js';

describe('turbostream providers --help', () => {
  it('names every provider of the registry, and the grok alias', () => {
    for (const id of PROVIDER_IDS) expect(PROVIDERS_HELP).toContain(id);
    expect(PROVIDERS_HELP).toContain('(or grok)');
  });
});
