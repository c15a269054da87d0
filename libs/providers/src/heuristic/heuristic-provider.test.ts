import type { Window } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import type { AnalysisRequest } from '../provider.js';
import { createHeuristicProvider } from './heuristic-provider.js';

const BASE = 1_764_102_000_000;

function makeWindow(data: string[]): Window {
  const messages = data.map((text, index) => ({
    id: `${BASE + index * 10}-0`,
    data: text,
    receivedAt: BASE + index * 10,
  }));
  return {
    streamId: 'btc-trades',
    windowId: `${BASE}-0`,
    firstEntryId: messages[0]?.id ?? `${BASE}-0`,
    lastEntryId: messages.at(-1)?.id ?? `${BASE}-0`,
    closedBy: 'messages',
    bytes: data.join('').length,
    from: BASE,
    to: BASE + (data.length - 1) * 10,
    messages,
    gaps: [],
  };
}

function request(window: Window): AnalysisRequest {
  return {
    model: 'robust-z',
    instructions: 'Alert on outliers.',
    window,
    maxTokens: 1000,
    temperature: 0,
    timeoutMs: 1000,
  };
}

/** A trade feed like Binance's: prices and quantities as strings, ids and times increasing. */
function trades(count: number, priceAt: (index: number) => number): string[] {
  return Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      e: 'trade',
      E: BASE + index * 10,
      s: 'BTCUSDT',
      t: 5_000_000 + index,
      p: priceAt(index).toFixed(1),
      q: (0.01 + ((index * 7) % 5) / 100).toFixed(3),
      m: index % 2 === 0,
    }),
  );
}

/** Deterministic noise of ±10 around 61200. */
const calm = (index: number) => 61_200 + (((index * 37) % 21) - 10);

describe('heuristic provider', () => {
  const provider = createHeuristicProvider();

  it('finds a price outlier in string prices and cites its message', async () => {
    const data = trades(41, (index) => (index === 23 ? 64_210 : calm(index)));
    const result = await provider.analyze(request(makeWindow(data)));
    expect(result.answer.alerts).toHaveLength(1);
    const [alert] = result.answer.alerts;
    expect(alert?.severity).toBe('critical');
    expect(alert?.title).toBe('p outlier: 64210 vs median 61200');
    expect(alert?.evidence).toEqual([`${BASE + 230}-0`]);
    expect(alert?.summary).toContain('1 of 41 p values is an outlier');
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(result.finishReason).toBe('stop');
    expect(result.timings.ttftMs).toBe(result.timings.totalMs);
  });

  it('rates a moderate outlier as a warning and a far one as critical, most extreme field first', async () => {
    // Median absolute deviation of the calm series is 5: +60 gives z ≈ 8 (warning), the volume jump is critical.
    const data = Array.from({ length: 30 }, (_, index) =>
      JSON.stringify({
        book: { bid: String(index === 4 ? calm(index) + 60 : calm(index)) },
        volume: index === 9 ? 900 : 100 + ((index * 3) % 7),
      }),
    );
    const alerts = (await provider.analyze(request(makeWindow(data)))).answer.alerts;
    expect(alerts.map((alert) => [alert.title.split(' ')[0], alert.severity])).toEqual([
      ['volume', 'critical'],
      ['book.bid', 'warning'],
    ]);
    expect(alerts[1]?.evidence).toEqual([`${BASE + 40}-0`]);
  });

  it('raises nothing on a clean series, increasing ids and times included', async () => {
    const result = await provider.analyze(request(makeWindow(trades(200, calm))));
    expect(result.answer).toEqual({ alerts: [] });
  });

  it('keeps at most ten evidence ids, the most extreme ones, in window order', async () => {
    const data = trades(100, (index) => (index % 8 === 0 ? 70_000 + index : calm(index)));
    const [alert] = (await provider.analyze(request(makeWindow(data)))).answer.alerts;
    expect(alert?.evidence).toHaveLength(10);
    expect(alert?.evidence).toEqual(
      [...(alert?.evidence ?? [])].sort((left, right) => Number(left.split('-')[0]) - Number(right.split('-')[0])),
    );
    expect(alert?.evidence).toContain(`${BASE + 960}-0`);
    expect(alert?.summary).toContain('13 of 100');
  });

  it('skips fields whose MAD is 0 and fields with too few values', async () => {
    const constant = Array.from({ length: 20 }, (_, index) => JSON.stringify({ fee: index === 7 ? 5_000 : 100 }));
    expect((await provider.analyze(request(makeWindow(constant)))).answer.alerts).toEqual([]);
    const few = [1, 2, 3, 2, 1, 1_000_000].map((value) => JSON.stringify({ x: value }));
    expect((await provider.analyze(request(makeWindow(few)))).answer.alerts).toEqual([]);
  });

  it('summarises error-level messages, critical when one is fatal', async () => {
    const data = [
      JSON.stringify({ level: 'info', msg: 'started' }),
      JSON.stringify({ level: 'ERROR', msg: 'disk full on /var' }),
      'not json at all',
      JSON.stringify({ level: 'warn', msg: 'slow' }),
      JSON.stringify({ log: { severity: 'Fatal' }, message: 'out of memory' }),
      JSON.stringify(['level', 'error']),
    ];
    const [alert, ...rest] = (await provider.analyze(request(makeWindow(data)))).answer.alerts;
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      severity: 'critical',
      title: '2 error-level messages (1 error, 1 fatal)',
      evidence: [`${BASE + 10}-0`, `${BASE + 40}-0`],
    });
    expect(alert?.summary).toContain('disk full on /var');

    const errorsOnly = [JSON.stringify({ level: 'error', msg: 'retrying' }), JSON.stringify({ level: 'info' })];
    expect((await provider.analyze(request(makeWindow(errorsOnly)))).answer.alerts[0]?.severity).toBe('warning');
  });

  it('honours the threshold option and gives the same answer every time', async () => {
    const data = Array.from({ length: 30 }, (_, index) =>
      JSON.stringify({ v: index === 4 ? calm(index) + 60 : calm(index) }),
    );
    const strict = createHeuristicProvider({ threshold: 10 });
    expect((await strict.analyze(request(makeWindow(data)))).answer.alerts).toEqual([]);
    const first = await provider.analyze(request(makeWindow(data)));
    const second = await provider.analyze(request(makeWindow(data)));
    expect(first.answer.alerts).toHaveLength(1);
    expect(second.answer).toEqual(first.answer);
  });
});
