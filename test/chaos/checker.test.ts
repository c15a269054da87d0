import { describe, expect, it } from 'vitest';
import { countSnapshot, type JobRecord, type PipelineSnapshot, type StoredEntry } from './checker.js';

const TARGETS = ['heuristic/mad', 'openai/gpt'];

/** Message entries `1-0`, `2-0`, … numbered as given; `'gap'` makes a gap entry. */
function stream(...items: (number | 'gap')[]): StoredEntry[] {
  return items.map((item, index) =>
    item === 'gap' ? { id: `${index + 1}-0`, kind: 'gap' } : { id: `${index + 1}-0`, kind: 'message', seq: item },
  );
}

function job(target: string, ids: string[], extra: Partial<JobRecord> = {}): JobRecord {
  return {
    target,
    windowId: ids[0] ?? '0-0',
    messageIds: ids,
    state: 'completed',
    alertIds: [],
    restarted: false,
    ...extra,
  };
}

/** One completed job per target for each window. */
function jobsFor(windows: string[][]): JobRecord[] {
  return windows.flatMap((ids) => TARGETS.map((target) => job(target, ids)));
}

const sentUpTo = (last: number) => new Set(Array.from({ length: last + 1 }, (_, seq) => seq));

describe('the chaos checker', () => {
  it('counts a clean run: everything stored once, windowed once, analysed by every target', () => {
    const snapshot: PipelineSnapshot = {
      entries: stream(0, 1, 2, 3),
      jobs: jobsFor([
        ['1-0', '2-0'],
        ['3-0', '4-0'],
      ]),
      loggedAlertIds: ['a', 'b'],
    };
    expect(countSnapshot(snapshot, sentUpTo(3), TARGETS)).toMatchObject({
      sent: 4,
      stored: 4,
      lostMarked: 0,
      lostSilent: 0,
      duplicated: 0,
      windows: 2,
      analysed: 2,
      windowedOnce: 4,
      windowedNone: 0,
      windowedTwice: 0,
      foreign: 0,
      alerts: 2,
      duplicateAlerts: 0,
    });
  });

  it('tells numbers lost behind a gap entry from numbers lost silently, at the start, inside and at the end', () => {
    // 2 and 3 are lost where a gap entry stands, 5 where none does, 7 at the end, after a gap entry.
    const entries = stream(0, 1, 'gap', 4, 6, 'gap');
    const counts = countSnapshot({ entries, jobs: [], loggedAlertIds: [] }, sentUpTo(7), TARGETS);
    expect(counts).toMatchObject({ sent: 8, stored: 4, lostMarked: 3, lostSilent: 1, gaps: 2 });
  });

  it('counts numbers lost before the first stored message as silent when no gap entry precedes it', () => {
    const counts = countSnapshot({ entries: stream(3, 4), jobs: [], loggedAlertIds: [] }, sentUpTo(4), TARGETS);
    expect(counts).toMatchObject({ lostMarked: 0, lostSilent: 3 });
  });

  it('counts a number stored twice, and a stored number the source did not see acknowledged as sent', () => {
    const counts = countSnapshot(
      { entries: stream(0, 1, 1, 2), jobs: [], loggedAlertIds: [] },
      new Set([0, 1]),
      TARGETS,
    );
    expect(counts).toMatchObject({ sent: 3, stored: 3, duplicated: 1 });
  });

  it(
    'finds messages in no window of some target, in two windows, and windowed messages the stream does not ' + 'hold',
    () => {
      const jobs = [
        job('heuristic/mad', ['1-0', '2-0']),
        job('heuristic/mad', ['2-0', '3-0']),
        job('openai/gpt', ['1-0', '2-0', '3-0', '9-0']),
        job('openai/gpt', ['4-0'], { windowId: '4-0', state: 'pending' }),
      ];
      const counts = countSnapshot({ entries: stream(0, 1, 2, 3), jobs, loggedAlertIds: [] }, sentUpTo(3), TARGETS);
      expect(counts).toMatchObject({
        windowedOnce: 2,
        windowedTwice: 1,
        windowedNone: 1,
        foreign: 1,
        windows: 3,
        analysed: 1,
        pendingJobs: 1,
      });
    },
  );

  it('counts alert ids logged twice, and alerts of completed jobs missing from the log', () => {
    const jobs = [
      job('heuristic/mad', ['1-0'], { alertIds: ['a', 'b', 'c'] }),
      job('openai/gpt', ['1-0'], { alertIds: ['d'] }),
    ];
    const counts = countSnapshot(
      { entries: stream(0), jobs, loggedAlertIds: ['a', 'b', 'a', 'd', 'a'] },
      sentUpTo(0),
      TARGETS,
    );
    expect(counts).toMatchObject({ alerts: 5, duplicateAlerts: 2, alertsMissing: 1 });
  });
});
