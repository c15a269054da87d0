import type { AnalysisRecord, CompletedAnalysis, Severity } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { agreementOf, jaccard, percentile, scoreboard, type TimedRecord, usdPer1kMessages } from './scoreboard.js';

const MAIN = { provider: 'openai', model: 'gpt-4.1-mini' };
const OTHER = { provider: 'gemini', model: 'gemini-2.5-flash' };

function completed(
  windowId: string,
  target: { provider: string; model: string },
  options: Partial<Omit<CompletedAnalysis, 'alerts'>> & { alerts?: Array<[Severity, string[]]> } = {},
): CompletedAnalysis {
  const { alerts = [], ...rest } = options;
  return {
    v: 1,
    outcome: 'completed',
    jobId: `s.${windowId}.${target.provider}.${target.model}`,
    streamId: 's',
    windowId,
    ...target,
    messages: 100,
    analyzer: 'a1',
    ttftMs: 100,
    totalMs: 1_000,
    inputTokens: 1_000,
    outputTokens: 50,
    costUsd: 0.001,
    ...rest,
    alerts: alerts.map(([severity, evidence]) => ({ severity, evidence })),
  };
}

const timed = (records: AnalysisRecord[]): TimedRecord[] => records.map((record, at) => ({ at, record }));

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
    expect(percentile([10, 20, 30], 0)).toBe(10);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });
});

describe('usdPer1kMessages', () => {
  it('is dollars over messages, times a thousand; none without messages', () => {
    expect(usdPer1kMessages(0.5, 2_000)).toBeCloseTo(0.25, 12);
    expect(usdPer1kMessages(0, 10)).toBe(0);
    expect(usdPer1kMessages(0, 0)).toBeNull();
  });
});

describe('jaccard', () => {
  it('is the shared ids over all ids; undefined when neither cites any', () => {
    expect(jaccard(new Set(['a', 'b']), new Set(['b', 'c']))).toBeCloseTo(1 / 3, 12);
    expect(jaccard(new Set(['a']), new Set(['a']))).toBe(1);
    expect(jaccard(new Set(['a']), new Set(['b']))).toBe(0);
    expect(jaccard(new Set(['a']), new Set())).toBe(0);
    expect(jaccard(new Set(), new Set())).toBeUndefined();
  });
});

describe('agreementOf', () => {
  it('counts both, only one, neither, on the windows both analysed, and averages the evidence overlap', () => {
    const a = new Map([
      ['w1', completed('w1', MAIN, { alerts: [['warning', ['1-0', '2-0']]] })],
      ['w2', completed('w2', MAIN, { alerts: [['info', ['5-0']]] })],
      ['w3', completed('w3', MAIN)],
      ['w4', completed('w4', MAIN)],
      ['w5', completed('w5', MAIN, { alerts: [['critical', ['9-0']]] })], // b did not analyse it (sampled out)
      [
        'w6',
        completed('w6', MAIN, {
          alerts: [
            ['info', ['7-0']],
            ['warning', ['8-0']],
          ],
        }),
      ],
    ]);
    const b = new Map([
      ['w1', completed('w1', OTHER, { alerts: [['critical', ['2-0', '3-0']]] })],
      ['w2', completed('w2', OTHER)],
      ['w3', completed('w3', OTHER, { alerts: [['info', ['4-0']]] })],
      ['w4', completed('w4', OTHER)],
      ['w6', completed('w6', OTHER, { alerts: [['warning', ['8-0', '7-0']]] })],
      ['w7', completed('w7', OTHER)], // a did not analyse it
    ]);
    expect(agreementOf('a', 'b', a, b)).toEqual({
      a: 'a',
      b: 'b',
      windows: 5,
      bothAlerted: 2,
      onlyA: 1,
      onlyB: 1,
      neither: 1,
      agreementRate: 3 / 5,
      // w1: {1,2} vs {2,3} → 1/3; w6: {7,8} vs {7,8} → 1
      evidenceOverlap: (1 / 3 + 1) / 2,
      overlapWindows: 2,
    });
  });

  it('has no rate and no overlap without shared windows, and leaves windows without evidence out of the overlap', () => {
    const none = agreementOf('a', 'b', new Map([['w1', completed('w1', MAIN)]]), new Map());
    expect(none).toMatchObject({ windows: 0, agreementRate: null, evidenceOverlap: null, overlapWindows: 0 });
    const bare = agreementOf(
      'a',
      'b',
      new Map([['w1', completed('w1', MAIN, { alerts: [['info', []]] })]]),
      new Map([['w1', completed('w1', OTHER, { alerts: [['info', []]] })]]),
    );
    expect(bare).toMatchObject({ bothAlerted: 1, evidenceOverlap: null, overlapWindows: 0 });
  });
});

describe('scoreboard', () => {
  it('scores each stream and target: windows, alerts, latency, tokens, cost per 1,000 messages, failures, 429s', () => {
    const records: AnalysisRecord[] = [
      completed('w1', MAIN, { ttftMs: 100, totalMs: 1_000, costUsd: 0.002, alerts: [['critical', ['1-0']]] }),
      completed('w2', MAIN, { ttftMs: 300, totalMs: 3_000, costUsd: 0.004, messages: 300 }),
      completed('w3', MAIN, {
        ttftMs: 200,
        totalMs: 2_000,
        costUsd: 0.002,
        alerts: [
          ['warning', []],
          ['info', []],
        ],
      }),
      // w1 again: the same job recorded twice (run again after a lost lock) counts once
      completed('w1', MAIN, { ttftMs: 9_999, totalMs: 9_999, costUsd: 1 }),
      {
        v: 1,
        outcome: 'rate-limited',
        jobId: 's.w4.openai.gpt-4.1-mini',
        streamId: 's',
        windowId: 'w4',
        ...MAIN,
        messages: 10,
        analyzer: 'a1',
        retryAfterMs: 1_000,
      },
      {
        v: 1,
        outcome: 'rate-limited',
        jobId: 's.w4.openai.gpt-4.1-mini',
        streamId: 's',
        windowId: 'w4',
        ...MAIN,
        messages: 10,
        analyzer: 'a2',
        retryAfterMs: null,
      },
      {
        v: 1,
        outcome: 'failed',
        jobId: 's.w4.openai.gpt-4.1-mini',
        streamId: 's',
        windowId: 'w4',
        ...MAIN,
        messages: 10,
        analyzer: 'a2',
        reason: 'permanent: HTTP 400',
      },
      completed('w1', OTHER, { costUsd: null, alerts: [['info', ['1-0', '2-0']]] }),
      completed('x1', { provider: 'heuristic', model: 'mad' }, { streamId: 'another', jobId: 'another.x1' }),
    ];
    const board = scoreboard(timed(records), (streamId) => (streamId === 's' ? ['openai/gpt-4.1-mini'] : []));
    expect(board.records).toBe(9);
    expect(board.duplicates).toBe(1);
    expect(board.streams.map((stream) => stream.streamId)).toEqual(['another', 's']);
    const [main, other] = board.streams[1]?.targets ?? [];
    expect(main).toEqual({
      target: 'openai/gpt-4.1-mini',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      windows: 3,
      messages: 500,
      alerts: { critical: 1, warning: 1, info: 1, total: 3 },
      windowsWithAlerts: 2,
      ttftMs: { p50: 200, p95: 300 },
      totalMs: { p50: 2_000, p95: 3_000 },
      inputTokens: 3_000,
      outputTokens: 150,
      costUsd: expect.closeTo(0.008, 12),
      usdPer1kMessages: expect.closeTo(0.016, 12), // $0.008 over 500 messages
      unpricedWindows: 0,
      failed: 1,
      rateLimited: 2,
    });
    expect(other).toMatchObject({
      target: 'gemini/gemini-2.5-flash',
      windows: 1,
      costUsd: 0,
      usdPer1kMessages: null,
      unpricedWindows: 1,
      failed: 0,
      rateLimited: 0,
    });
    expect(board.streams[1]?.agreement).toEqual([
      {
        a: 'openai/gpt-4.1-mini',
        b: 'gemini/gemini-2.5-flash',
        windows: 1,
        bothAlerted: 1,
        onlyA: 0,
        onlyB: 0,
        neither: 0,
        agreementRate: 1,
        evidenceOverlap: 0.5,
        overlapWindows: 1,
      },
    ]);
    expect(board.streams[0]?.agreement).toEqual([]);
  });

  it("puts the stream's own target first, then those it does not name by name", () => {
    const records = [
      completed('w1', { provider: 'xai', model: 'grok' }),
      completed('w1', OTHER),
      completed('w1', MAIN),
    ];
    const names = (order: string[]) =>
      scoreboard(timed(records), () => order).streams[0]?.targets.map((target) => target.target);
    expect(names(['openai/gpt-4.1-mini'])).toEqual(['openai/gpt-4.1-mini', 'gemini/gemini-2.5-flash', 'xai/grok']);
    expect(names([])).toEqual(['gemini/gemini-2.5-flash', 'openai/gpt-4.1-mini', 'xai/grok']);
    const pairs = scoreboard(timed(records), () => ['openai/gpt-4.1-mini']).streams[0]?.agreement.map(
      ({ a, b }) => `${a} vs ${b}`,
    );
    expect(pairs).toEqual([
      'openai/gpt-4.1-mini vs gemini/gemini-2.5-flash',
      'openai/gpt-4.1-mini vs xai/grok',
      'gemini/gemini-2.5-flash vs xai/grok',
    ]);
  });

  it('counts a sampled comparison target only on the windows it analysed', () => {
    const records = [
      ...['w1', 'w2', 'w3', 'w4'].map((id) => completed(id, MAIN, { alerts: [['info', [`${id}-e`]]] })),
      completed('w2', OTHER, { alerts: [['info', ['w2-e']]] }),
    ];
    const [stream] = scoreboard(timed(records), () => ['openai/gpt-4.1-mini']).streams;
    expect(stream?.targets.map((target) => target.windows)).toEqual([4, 1]);
    expect(stream?.agreement[0]).toMatchObject({ windows: 1, bothAlerted: 1, onlyA: 0, evidenceOverlap: 1 });
  });
});
