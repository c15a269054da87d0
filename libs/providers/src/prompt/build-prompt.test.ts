import type { Window } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { buildPrompt } from './build-prompt.js';

const window: Window = {
  streamId: 'app-logs',
  windowId: '1764102000000-0',
  firstEntryId: '1764102000000-0',
  lastEntryId: '1764102009500-0',
  closedBy: 'time',
  bytes: 60,
  from: 1_764_102_000_000,
  to: 1_764_102_009_500,
  messages: [
    { id: '1764102000000-0', data: '{"level":"info"}', receivedAt: 1_764_102_000_000 },
    { id: '1764102009500-0', data: 'line one\nline two', receivedAt: 1_764_102_009_500 },
  ],
  gaps: [{ id: '1764102005000-0', reason: 'reconnect', downMs: 3000 }],
};

describe('buildPrompt', () => {
  it('asks for the JSON answer and renders the window one entry a line, gaps in place', () => {
    const prompt = buildPrompt('Alert on errors.', window);
    expect(prompt.system).toContain('{"alerts":[]}');
    expect(prompt.system).toContain('evidence');
    expect(prompt.user.split('\n')).toEqual([
      'Instructions:',
      'Alert on errors.',
      '',
      'Stream: app-logs',
      'Window: 1764102000000-0, 2 messages from 2025-11-25T20:20:00.000Z to 2025-11-25T20:20:09.500Z, 1 gap(s) where messages may be missing',
      'Entries, one a line, as <id> <data>:',
      '1764102000000-0 {"level":"info"}',
      '1764102005000-0 [gap: reconnect, source down for 3000 ms; messages may be missing]',
      '1764102009500-0 line one\\nline two',
    ]);
  });

  it('is deterministic', () => {
    expect(buildPrompt('x', window)).toEqual(buildPrompt('x', structuredClone(window)));
  });
});
