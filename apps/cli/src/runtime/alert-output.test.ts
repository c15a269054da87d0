import { describe, expect, it } from 'vitest';
import { alertPrinter, alertsAsJson } from './alert-output.js';

const ALERT = JSON.stringify({
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
});

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { written, out: { isTTY, write: (text: string) => written.push(text) } };
}

describe('alertPrinter', () => {
  it('prints readable alerts on a terminal', () => {
    const { written, out } = sink(true);
    alertPrinter({ json: false, out })(ALERT);
    expect(written.join('')).toMatch(/^00:00:02 .*WARNING.* s1 {2}price outlier\n/);
    expect(alertsAsJson(false, out)).toBe(false);
  });

  it('prints one JSON object a line when standard output is not a terminal, or with --json', () => {
    for (const [json, isTTY] of [
      [false, false],
      [true, true],
      [true, false],
    ] as const) {
      const { written, out } = sink(isTTY);
      alertPrinter({ json, out })(ALERT);
      expect(written).toEqual([`${ALERT}\n`]);
      expect(alertsAsJson(json, out)).toBe(true);
    }
  });
});
