import type { Alert } from '@turbostream/contracts';

/**
 * A valid alert (schema version 1) of the heuristic provider, for tests that print, publish or parse one; `overrides`
 * replace fields.
 */
export function sampleAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    v: 1,
    id: 's1.1-0.heuristic.mad.0',
    streamId: 's1',
    windowId: '1-0',
    severity: 'warning',
    title: 'price outlier',
    summary: 'one price far from the rest',
    evidence: ['1-0'],
    provider: 'heuristic',
    model: 'mad',
    window: { messages: 10, from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:00:01.000Z' },
    timings: { queuedMs: 1, ttftMs: 2, totalMs: 3 },
    usage: { inputTokens: 0, outputTokens: 0, costUsd: null },
    createdAt: '2026-01-01T00:00:02.000Z',
    ...overrides,
  };
}
