import { Alert, type WindowJob } from '@turbostream/contracts';
import type { AnalysisResult } from '@turbostream/providers';
import { describe, expect, it } from 'vitest';
import { buildAlerts } from './build-alerts.js';

const job: WindowJob = {
  v: 1,
  target: { provider: 'openai', model: 'gpt-4.1-mini' },
  instructions: 'x',
  enqueuedAt: 1_764_102_010_000,
  window: {
    streamId: 'btc-trades',
    windowId: '1764102000000-0',
    firstEntryId: '1764102000000-0',
    lastEntryId: '1764102009500-0',
    closedBy: 'time',
    bytes: 10,
    from: 1_764_102_000_000,
    to: 1_764_102_009_500,
    messages: [
      { id: '1764102000000-0', data: '{}', receivedAt: 1_764_102_000_000 },
      { id: '1764102009500-0', data: '{}', receivedAt: 1_764_102_009_500 },
    ],
    gaps: [{ id: '1764102005000-0', reason: 'reconnect', downMs: 10 }],
  },
};

const result: AnalysisResult = {
  answer: {
    alerts: [
      {
        severity: 'warning',
        title: 'a',
        summary: 'first',
        evidence: ['1764102009500-0', '999-0', '1764102009500-0', '1764102005000-0'],
      },
      { severity: 'critical', title: 'b', summary: 'second', evidence: [] },
    ],
  },
  timings: { ttftMs: 640.4, totalMs: 2210.6 },
  usage: { inputTokens: 5120, outputTokens: 141, cachedInputTokens: 0 },
  finishReason: 'stop',
};

describe('buildAlerts', () => {
  it('builds schema-valid alerts with deterministic ids and only evidence from the window', () => {
    const alerts = buildAlerts(job, result, {
      enqueuedAt: 1_764_102_010_000,
      startedAt: 1_764_102_010_012,
      now: 1_764_102_011_900,
    });
    expect(alerts.map((alert) => Alert.safeParse(alert).success)).toEqual([true, true]);
    expect(alerts.map((alert) => alert.id)).toEqual([
      'btc-trades.1764102000000-0.openai.gpt-4.1-mini.0',
      'btc-trades.1764102000000-0.openai.gpt-4.1-mini.1',
    ]);
    expect(alerts[0]).toMatchObject({
      v: 1,
      streamId: 'btc-trades',
      windowId: '1764102000000-0',
      severity: 'warning',
      evidence: ['1764102009500-0', '1764102005000-0'],
      provider: 'openai',
      model: 'gpt-4.1-mini',
      window: { messages: 2, from: '2025-11-25T20:20:00.000Z', to: '2025-11-25T20:20:09.500Z' },
      timings: { queuedMs: 12, ttftMs: 640, totalMs: 2211 },
      usage: { inputTokens: 5120, outputTokens: 141, costUsd: null },
      createdAt: '2025-11-25T20:20:11.900Z',
    });
  });

  it('puts the call cost on every alert of the window, null when the model has no price', () => {
    const priced = buildAlerts(job, result, { enqueuedAt: 0, startedAt: 5, now: 10 }, 0.002_273);
    expect(priced.map((alert) => alert.usage)).toEqual([
      { inputTokens: 5120, outputTokens: 141, costUsd: 0.002_273 },
      { inputTokens: 5120, outputTokens: 141, costUsd: 0.002_273 },
    ]);
    expect(buildAlerts(job, result, { enqueuedAt: 0, startedAt: 5, now: 10 }, null)[0]?.usage.costUsd).toBeNull();
  });

  it('gives the same ids when the job is retried', () => {
    const first = buildAlerts(job, result, { enqueuedAt: 0, startedAt: 5, now: 10 });
    const retried = buildAlerts(job, result, { enqueuedAt: 0, startedAt: 500, now: 900 });
    expect(retried.map((alert) => alert.id)).toEqual(first.map((alert) => alert.id));
  });
});
