import { sampleAlert } from '@turbostream/testkit';
import { describe, expect, it } from 'vitest';
import { alertPrinter, alertsAsJson } from './alert-output.js';

const ALERT = JSON.stringify(sampleAlert());

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
