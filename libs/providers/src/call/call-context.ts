import type { ProviderId } from '@turbostream/contracts';

/** How a provider call ended, as the error mappers need to know it. */
export interface CallContext {
  provider: ProviderId;
  /** Our own deadline fired. */
  timedOut: boolean;
  /** The caller's signal fired. */
  aborted: boolean;
  timeoutMs: number;
  /** The API key, stripped from every message. */
  secrets: readonly (string | undefined)[];
}
