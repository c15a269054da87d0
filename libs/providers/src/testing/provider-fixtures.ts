import type { Window } from '@turbostream/contracts';
import { ProviderError } from '../errors/provider-error.js';
import type { AnalysisRequest } from '../provider.js';

// Shared by the provider protocol tests (not built into dist: see tsconfig.json).

export const BASE = 1_764_102_000_000;

/** Two trades 100 ms apart, the second 4.9 % above the first. */
export const window: Window = {
  streamId: 'btc-trades',
  windowId: `${BASE}-0`,
  firstEntryId: `${BASE}-0`,
  lastEntryId: `${BASE + 100}-0`,
  closedBy: 'messages',
  bytes: 40,
  from: BASE,
  to: BASE + 100,
  messages: [
    { id: `${BASE}-0`, data: '{"p":"61200.0"}', receivedAt: BASE },
    { id: `${BASE + 100}-0`, data: '{"p":"64210.0"}', receivedAt: BASE + 100 },
  ],
  gaps: [],
};

/** The alert the fakes answer with: its evidence cites the second trade by the ref the prompt shows for it. */
export const MODEL_ALERT = {
  severity: 'warning',
  title: 'BTC jumped 4.9%',
  summary: 'From 61200 to 64210.',
  evidence: ['2'],
};

/** {@link MODEL_ALERT} as the provider returns it: the ref turned back into the trade's entry id. */
export const ALERT = { ...MODEL_ALERT, evidence: [`${BASE + 100}-0`] };

/** A request for {@link window} with `model`. */
export function analysisRequest(model: string, overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return {
    model,
    instructions: 'Alert on price moves over 1%.',
    window,
    maxTokens: 800,
    temperature: 0.2,
    timeoutMs: 5_000,
    ...overrides,
  };
}

/** The ProviderError a call rejects with; anything else fails the test. */
export async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!ProviderError.isInstance(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}
