import type { ProviderId } from '@turbostream/contracts';
import { ProviderError } from './provider-error.js';

/** The API key a provider cannot work without: a missing or empty one is a permanent failure, found at construction. */
export function requireApiKey(provider: ProviderId, apiKey: string | undefined): string {
  if (!apiKey) throw new ProviderError({ provider, kind: 'permanent', message: `provider ${provider} has no API key` });
  return apiKey;
}
