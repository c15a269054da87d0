import type { AnalysisRecord } from '@turbostream/contracts';
import type { LoggedAnalysis } from '@turbostream/redis';
import { describe, expect, it } from 'vitest';
import { sparklinePoints } from './web/format.js';
import { compareWindows, messageRates } from './compare.js';

const T0 = Date.parse('2026-11-30T12:00:00.000Z');

function logged(at: number, windowId: string, target: string, outcome: Partial<AnalysisRecord> = {}): LoggedAnalysis {
  const [provider = '', model = ''] = target.split('/');
  const base = {
    v: 1 as const,
    jobId: `s.${windowId}.${provider}.${model}`,
    streamId: 's',
    windowId,
    provider,
    model,
    messages: 10,
    analyzer: 'a',
  };
  const record = {
    ...base,
    outcome: 'completed',
    ttftMs: 1,
    totalMs: 2,
    inputTokens: 3,
    outputTokens: 4,
    costUsd: null,
    alerts: [],
    ...outcome,
  } as AnalysisRecord;
  return { at, record };
}

describe("the dashboard's compare view and rates", () => {
  it('puts the targets of each window side by side, newest first; a completed analysis wins over a 429', () => {
    const records = [
      logged(T0, '1-0', 'heuristic/mad'),
      logged(T0 + 10, '1-0', 'openai/m', {
        alerts: [
          { severity: 'info', evidence: [] },
          { severity: 'critical', evidence: [] },
        ],
      }),
      logged(T0 + 20, '2-0', 'heuristic/mad', { alerts: [{ severity: 'warning', evidence: [] }] }),
      logged(T0 + 30, '2-0', 'openai/m', { outcome: 'rate-limited', retryAfterMs: null } as Partial<AnalysisRecord>),
      logged(T0 + 40, '2-0', 'openai/m'),
      logged(T0 + 50, '3-0', 'heuristic/mad', { outcome: 'failed', reason: 'x' } as Partial<AnalysisRecord>),
      {
        ...logged(T0, '1-0', 'heuristic/mad'),
        record: { ...logged(T0, '1-0', 'heuristic/mad').record, streamId: 'solo' },
      },
    ];
    const [stream, ...others] = compareWindows(records, (id) =>
      id === 's' ? ['heuristic/mad', 'openai/m', 'gemini/g'] : [],
    );
    expect(others).toEqual([]);
    expect(stream?.targets).toEqual(['heuristic/mad', 'openai/m', 'gemini/g']);
    expect(stream?.windows.map((window) => window.windowId)).toEqual(['3-0', '2-0', '1-0']);
    const [three, two, one] = stream?.windows ?? [];
    expect(three?.cells).toEqual([{ target: 'heuristic/mad', outcome: 'failed', alerts: 0, severity: null }]);
    expect(two?.cells).toEqual([
      { target: 'heuristic/mad', outcome: 'completed', alerts: 1, severity: 'warning' },
      { target: 'openai/m', outcome: 'completed', alerts: 0, severity: null },
    ]);
    expect(one?.cells[1]).toEqual({ target: 'openai/m', outcome: 'completed', alerts: 2, severity: 'critical' });
    expect(compareWindows(records, () => [], 1)[0]?.windows).toHaveLength(1);
  });

  it('counts messages per minute, each window once', () => {
    const to = T0 + 10 * 60_000;
    const records = [
      logged(T0 + 9 * 60_000 + 5, '1-0', 'heuristic/mad'),
      logged(T0 + 9 * 60_000 + 6, '1-0', 'openai/m'),
      logged(T0 + 9 * 60_000 + 7, '2-0', 'heuristic/mad'),
      logged(T0 + 7 * 60_000, '3-0', 'heuristic/mad'),
      logged(T0 - 1, '0-0', 'heuristic/mad'),
    ];
    expect(messageRates(records, to, 10).get('s')).toEqual([0, 0, 0, 0, 0, 0, 0, 10, 0, 20]);
  });

  it('draws a sparkline in its box: the largest value at the top, zero at the bottom', () => {
    expect(sparklinePoints([0, 5, 10], 100, 22)).toBe('0,21 50,11 100,1');
    expect(sparklinePoints([0, 0], 10, 12)).toBe('0,11 10,11');
    expect(sparklinePoints([], 10, 10)).toBe('');
  });
});
