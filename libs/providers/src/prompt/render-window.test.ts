import type { Window, WindowMessage } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { utf8Length } from './render-data.js';
import { DATA_FENCE_CLOSE, DATA_FENCE_OPEN, DEFAULT_PROMPT_LIMITS, renderWindow } from './render-window.js';

const BASE = 1_764_102_000_000;

function windowOf(messages: WindowMessage[], gaps: Window['gaps'] = []): Window {
  const first = messages[0]?.id ?? `${BASE}-0`;
  const last = messages.at(-1)?.id ?? first;
  return {
    streamId: 'feed',
    windowId: first,
    firstEntryId: first,
    lastEntryId: last,
    closedBy: 'messages',
    bytes: 0,
    from: BASE,
    to: BASE + messages.length,
    messages,
    gaps,
  };
}

function messagesOf(count: number, data: (index: number) => string): WindowMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${BASE + index}-0`,
    data: data(index),
    receivedAt: BASE + index,
  }));
}

/** The lines between the fence lines. */
function fenced(rendered: string): string[] {
  const lines = rendered.split('\n');
  return lines.slice(lines.indexOf(DATA_FENCE_OPEN) + 1, lines.indexOf(DATA_FENCE_CLOSE));
}

describe('renderWindow', () => {
  it('fences the entries, one a line, gaps in stream order', () => {
    const window = windowOf(
      messagesOf(2, (index) => `{"n":${index}}`),
      [{ id: `${BASE}-1`, reason: 'reconnect', downMs: 250 }],
    );
    expect(renderWindow(window).split('\n')).toEqual([
      'Stream: feed',
      `Window: ${BASE}-0, 2 messages from 2025-11-25T20:20:00.000Z to 2025-11-25T20:20:00.002Z, 1 gap(s) where ` +
        `messages may be missing`,
      '<stream_data>',
      `${BASE}-0 {"n":0}`,
      `${BASE}-1 [gap: reconnect, source down for 250 ms; messages may be missing]`,
      `${BASE + 1}-0 {"n":1}`,
      '</stream_data>',
    ]);
  });

  it('bounds the entries of a window and says how many were left out and that they may matter', () => {
    const window = windowOf(
      messagesOf(200, () => 'x'.repeat(2000)),
      [{ id: `${BASE + 150}-1`, reason: 'reconnect', downMs: 1 }],
    );
    const rendered = renderWindow(window, { maxMessageBytes: 4096, maxWindowBytes: 16 * 1024 });
    const entries = fenced(rendered);
    // Each line is `<15-byte id> "<2000 x>"` and a newline: 2019 bytes, so 8 fit in 16 KiB.
    expect(entries).toHaveLength(8);
    expect(entries.map((line) => line.split(' ')[0])).toEqual(window.messages.slice(0, 8).map((message) => message.id));
    expect(utf8Length(entries.join('\n'))).toBeLessThanOrEqual(16 * 1024);
    const lines = rendered.split('\n');
    expect(lines.at(-2)).toBe(DATA_FENCE_CLOSE);
    // Times, not ids: the model gets no id to cite for an entry it did not see.
    expect(lines.at(-1)).toBe(
      '[left out to fit the prompt: 192 of 200 messages and 1 gap(s), from 2025-11-25T20:20:00.008Z to ' +
        '2025-11-25T20:20:00.199Z; they are not shown: do not assume none of them mattered]',
    );
  });

  it('keeps a window of huge messages within the default budget', () => {
    const huge = 'A'.repeat(900_000);
    const window = windowOf(messagesOf(100, () => huge));
    const rendered = renderWindow(window);
    expect(utf8Length(fenced(rendered).join('\n'))).toBeLessThanOrEqual(DEFAULT_PROMPT_LIMITS.maxWindowBytes);
    expect(rendered.length).toBeLessThan(DEFAULT_PROMPT_LIMITS.maxWindowBytes + 1000);
    for (const line of fenced(rendered)) expect(line).toMatch(/^\d+-0 "A+" \[truncated \d+ bytes\]$/);
    expect(rendered.split('\n').at(-1)).toMatch(/^\[left out to fit the prompt: \d+ of 100 messages, /);
  });

  it('shows every entry, and no left-out line, when the window fits', () => {
    const rendered = renderWindow(windowOf(messagesOf(50, () => 'y'.repeat(4000))));
    expect(fenced(rendered)).toHaveLength(50);
    expect(rendered.split('\n').at(-1)).toBe(DATA_FENCE_CLOSE);
  });
});
