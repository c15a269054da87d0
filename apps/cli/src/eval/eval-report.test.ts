import type { CorpusFeed } from '@turbostream/eval';
import { describe, expect, it } from 'vitest';
import { evalReport, formatEvalReport } from './eval-report.js';
import type { ReplayOutcome } from './replay.js';

const feed: CorpusFeed = {
  name: 'f',
  description: 'a test feed',
  format: 'json',
  instructions: 'Alert on spikes.',
  window: { maxMessages: 2, maxBytes: 10_000, maxSeconds: 60 },
  messages: ['m1', 'm2', 'm3', 'm4'].map((id, index) => ({ id, at: 1_000 + index, data: '{}' })),
  incidents: [
    { id: 'spike\u001b[2J', kind: 'spike', description: 'a spike', messageIds: ['m2'], minSeverity: 'warning' },
    { id: 'drop', kind: 'drop', description: 'a drop', messageIds: ['m4'], minSeverity: 'critical' },
  ],
};

const result = (ttftMs: number, costUsd: number | null) => ({
  v: 1 as const,
  analyzer: 'a',
  alertIds: [],
  published: 0,
  ttftMs,
  totalMs: ttftMs * 2,
  inputTokens: 100,
  outputTokens: 10,
  costUsd,
});

const outcome: ReplayOutcome = {
  windows: [
    { feed: 'f', windowId: 'w1', messageIds: ['m1', 'm2'] },
    { feed: 'f', windowId: 'w2', messageIds: ['m3', 'm4'] },
  ],
  alerts: new Map([
    ['openai/a', [{ feed: 'f', windowId: 'w1', severity: 'critical', title: 't', evidence: ['m2'] }]],
    ['openai/b', [{ feed: 'f', windowId: 'w2', severity: 'warning', title: 't', evidence: ['m4'] }]],
  ]),
  calls: [
    {
      target: { provider: 'openai', model: 'a' },
      feed: 'f',
      windowId: 'w1',
      result: result(100, 0.01),
      failedReason: undefined,
    },
    {
      target: { provider: 'openai', model: 'a' },
      feed: 'f',
      windowId: 'w2',
      result: result(300, 0.02),
      failedReason: undefined,
    },
    {
      target: { provider: 'openai', model: 'b' },
      feed: 'f',
      windowId: 'w1',
      result: result(50, null),
      failedReason: undefined,
    },
    { target: { provider: 'openai', model: 'b' }, feed: 'f', windowId: 'w2', result: undefined, failedReason: 'boom' },
  ],
};

describe('evalReport', () => {
  const report = evalReport({
    feeds: [feed],
    targets: [
      { provider: 'openai', model: 'a' },
      { provider: 'openai', model: 'b' },
    ],
    outcome,
    seconds: 1.5,
  });

  it('scores each target and sums its calls: failures, percentiles, tokens, dollars (unknown without a price)', () => {
    const [a, b] = report.targets;
    expect(a).toMatchObject({ calls: 2, failures: 0, inputTokens: 200, outputTokens: 20 });
    expect(a?.figures).toMatchObject({ found: 1, recall: 0.5, precision: 1, severityAccuracy: 1 });
    expect(a?.ttftMs).toEqual({ p50: 100, p95: 300 });
    expect(a?.costUsd).toBeCloseTo(0.03, 12);
    expect(b).toMatchObject({ calls: 2, failures: 1, costUsd: null });
    // b found the drop at warning, below its minimum (critical).
    expect(b?.figures).toMatchObject({ found: 1, severityAccuracy: 0 });
    expect(report.agreement).toMatchObject({ foundByAll: 0, foundBySome: 2, foundByNone: 0 });
  });

  it('prints targets side by side and per incident, with feed text escaped', () => {
    const text = formatEvalReport(report);
    expect(text).toContain('| recall | 50.0 % (1/2) | 50.0 % (1/2) |');
    expect(text).toContain('| failures | 0/2 | 1/2 |');
    expect(text).toContain('| dollars | $0.0300 | unknown (a model has no price) |');
    expect(text).toContain('| f | drop | drop | critical | — | warning |');
    expect(text).toContain('spike\\x1b[2J');
    expect(text).not.toContain('\u001b');
  });
});
