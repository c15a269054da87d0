import { sampleAlert } from '@turbostream/testkit';
import { describe, expect, it } from 'vitest';
import {
  askCost,
  compareText,
  duration,
  filterFromHash,
  hashOfFilter,
  insertionIndex,
  matches,
  parseCompare,
  prettyMessage,
  SseReader,
} from './format.js';

describe("the dashboard page's helpers", () => {
  it('filters alerts by stream and severity, from and to the address', () => {
    const alert = sampleAlert({ streamId: 'btc', severity: 'critical' });
    expect(matches(alert, { stream: '', severity: '' })).toBe(true);
    expect(matches(alert, { stream: 'btc', severity: 'critical' })).toBe(true);
    expect(matches(alert, { stream: 'eth', severity: '' })).toBe(false);
    expect(matches(alert, { stream: '', severity: 'info' })).toBe(false);
    expect(filterFromHash('#alerts?stream=btc&severity=warning')).toEqual({ stream: 'btc', severity: 'warning' });
    expect(filterFromHash('#alerts?severity=bogus')).toEqual({ stream: '', severity: '' });
    expect(hashOfFilter({ stream: 'btc', severity: 'critical' })).toBe('#alerts?stream=btc&severity=critical');
    expect(hashOfFilter({ stream: '', severity: '' })).toBe('#alerts');
  });

  it('keeps alerts newest first: a live one goes first, a late one where it belongs', () => {
    const at = (second: number, id = `a${second}`) =>
      sampleAlert({ id, createdAt: `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z` });
    const sorted = [at(30), at(20), at(10)];
    expect(insertionIndex(sorted, at(40))).toBe(0);
    expect(insertionIndex(sorted, at(15))).toBe(2);
    expect(insertionIndex(sorted, at(5))).toBe(3);
    expect(insertionIndex([], at(5))).toBe(0);
  });

  it('writes durations and messages for people', () => {
    expect([412, 1_240, 90_000, 7_200_000].map(duration)).toEqual(['412 ms', '1.2 s', '2 min', '2 h']);
    expect(prettyMessage('{"p":1}')).toBe('{\n  "p": 1\n}');
    expect(prettyMessage('<script>x</script>')).toBe('<script>x</script>');
  });

  it("writes and reads the switch form's comparison targets as `streams set --compare` takes them", () => {
    const text = compareText([
      { provider: 'openai', model: 'gpt-x', sample: 0.1 },
      { provider: 'heuristic', model: 'mad', sample: 1 },
    ]);
    expect(text).toBe('openai/gpt-x@0.1, heuristic/mad');
    expect(parseCompare(text)).toEqual(['openai/gpt-x@0.1', 'heuristic/mad']);
    expect(parseCompare('  a/b   c/d@0.5,,e ')).toEqual(['a/b', 'c/d@0.5', 'e']);
    expect(parseCompare('   ')).toEqual([]);
  });

  it('reads server-sent events from a streamed body, whatever the pieces it comes in', () => {
    const text =
      'event: context\ndata: {"a":1}\n\n: keep-alive\n\nevent: token\r\ndata: {"text":"x"}\r\n\r\ndata: a\ndata: b\n\n';
    const whole = new SseReader().push(text);
    expect(whole).toEqual([
      { event: 'context', data: '{"a":1}' },
      { event: 'token', data: '{"text":"x"}' },
      { event: 'message', data: 'a\nb' },
    ]);
    const reader = new SseReader();
    const bytewise = [...text].flatMap((char) => reader.push(char));
    expect(bytewise).toEqual(whole);
    expect([askCost(null), askCost(0), askCost(0.000619)]).toEqual(['no price', '$0', '$0.000619']);
  });
});
