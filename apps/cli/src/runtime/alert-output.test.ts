import { TERMINAL_UNSAFE } from '@turbostream/logging';
import { sampleAlert } from '@turbostream/testkit';
import { describe, expect, it } from 'vitest';
import { alertPrinter, alertsAsJson } from './alert-output.js';

const ALERT = JSON.stringify(sampleAlert());
/** Clear screen, cursor home, bell, window title, C1 CSI, DEL, right-to-left override, line separator, C1 next line. */
const HOSTILE = '\u001b[2J\u001b[H\u0007\u001b]0;pwned\u0007\u009b31m\u007f\u202e\u2028\u0085';
const HOSTILE_ALERT = sampleAlert({
  title: `title ${HOSTILE}`,
  summary: `summary\n${HOSTILE}`,
  evidence: [`1-0${HOSTILE}`],
  model: `mad${HOSTILE}`,
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

  it('prints text from feeds and models on a terminal with its control characters shown, not obeyed', () => {
    const { written, out } = sink(true);
    alertPrinter({ json: false, out })(JSON.stringify(HOSTILE_ALERT));
    const text = written.join('');
    expect(text.replaceAll('\u001b[33m', '').replaceAll('\u001b[0m', '').replaceAll('\n', ' ')).not.toMatch(
      TERMINAL_UNSAFE,
    );
    expect(text).toContain('title \\x1b[2J\\x1b[H\\x07\\x1b]0;pwned\\x07\\x9b31m\\x7f\\u202e\\u2028\\x85');
    expect(text.split('\n')).toHaveLength(4);
  });

  it(
    'prints JSON lines with DEL, C1, bidi controls and line separators escaped, parsing back to the very ' + 'alert',
    () => {
      for (const [json, isTTY] of [
        [false, false],
        [true, true],
      ] as const) {
        const { written, out } = sink(isTTY);
        alertPrinter({ json, out })(JSON.stringify(HOSTILE_ALERT));
        expect(written).toHaveLength(1);
        const line = written[0] ?? '';
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1)).not.toMatch(TERMINAL_UNSAFE);
        expect(JSON.parse(line)).toEqual(HOSTILE_ALERT);
      }
    },
  );

  it('keeps a JSON line on one line and anything else shown, whoever published it', () => {
    const { written, out } = sink(false);
    const print = alertPrinter({ json: true, out });
    print(JSON.stringify(HOSTILE_ALERT, null, 2));
    print(`\u001b[2Jnot json\u0007`);
    expect(written).toHaveLength(2);
    for (const line of written) expect(line.slice(0, -1)).not.toMatch(TERMINAL_UNSAFE);
    expect(JSON.parse(written[0] ?? '')).toEqual(HOSTILE_ALERT);
    expect(written[1]).toBe('\\x1b[2Jnot json\\x07\n');
  });
});
