import { TERMINAL_UNSAFE } from '@turbostream/logging';
import { sampleAlert } from '@turbostream/testkit';
import { describe, expect, it } from 'vitest';
import { formatAlert } from './format-alert.js';

const alert = sampleAlert({
  id: 'demo.1-0.heuristic.mad.0',
  streamId: 'demo',
  severity: 'critical',
  summary: 'price 64210 vs median 61200',
  evidence: ['1-0', '1-1', '1-2', '1-3'],
  window: { messages: 100, from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:00:05.000Z' },
  timings: { queuedMs: 3, ttftMs: 1.2, totalMs: 1.4 },
  createdAt: '2026-01-01T00:00:06.000Z',
});

describe('formatAlert', () => {
  it('shows severity, stream, title, summary, target and evidence', () => {
    const text = formatAlert(JSON.stringify(alert));
    expect(text).toContain('00:00:06 CRITICAL demo  price outlier');
    expect(text).toContain('price 64210 vs median 61200');
    expect(text).toContain('heuristic/mad  window 1-0 (100 messages)');
    expect(text).toContain('evidence 1-0, 1-1, 1-2 (+1)');
  });

  it('shows what is not an alert as it came, without throwing', () => {
    expect(formatAlert('nope')).toBe('(not JSON) nope');
    expect(formatAlert('{"v":2}')).toBe('(not a v1 alert) {"v":2}');
  });

  it('escapes control characters in every field that came from a feed or a model, keeping its own colours', () => {
    const hostile = '\u001b[2J\u001b[H\u0007\u001b]0;pwned\u0007\u009b31m\u007f\u202e\u2028';
    const text = formatAlert(
      JSON.stringify(
        sampleAlert({
          severity: 'critical',
          streamId: `s1${hostile}`,
          windowId: `1-0${hostile}`,
          title: `title${hostile}`,
          summary: `line one\nline two${hostile}`,
          evidence: [`1-0${hostile}`],
          provider: `heuristic${hostile}`,
          model: `mad${hostile}`,
          createdAt: `2026-01-01T00:${hostile}`,
        }),
      ),
      { color: true },
    );
    const ours = text.replaceAll('\u001b[31;1m', '').replaceAll('\u001b[0m', '').replaceAll('\n', ' ');
    expect(ours).not.toMatch(TERMINAL_UNSAFE);
    // Three lines, as always: the line feed of the summary is shown, not obeyed.
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('\u001b[31;1mCRITICAL\u001b[0m');
    const shown = '\\x1b[2J\\x1b[H\\x07\\x1b]0;pwned\\x07\\x9b31m\\x7f\\u202e\\u2028';
    for (const field of [
      `s1${shown}`,
      `title${shown}`,
      `line one\\nline two${shown}`,
      `heuristic${shown}/mad${shown}`,
      `window 1-0${shown}`,
      `evidence 1-0${shown}`,
    ])
      expect(text).toContain(field);
  });

  it('escapes what is not an alert too', () => {
    expect(formatAlert('\u001b[2Jnot json\u0007')).toBe('(not JSON) \\x1b[2Jnot json\\x07');
    expect(formatAlert('{"v":2,"title":"\\u001b[2J\\u009b"}')).toBe(
      '(not a v1 alert) {"v":2,"title":"\\u001b[2J\\u009b"}',
    );
    // JSON that is not an alert is shown as JSON, with JSON's escapes.
    expect(formatAlert('{"v":2,"title":"\u009b\u202e"}')).toBe('(not a v1 alert) {"v":2,"title":"\\u009b\\u202e"}');
  });
});
