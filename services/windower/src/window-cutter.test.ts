import { describe, expect, it } from 'vitest';
import { type CutterEntry, parseStreamEntry } from './stream-entry.js';
import { type SealedWindow, cutWindows } from './window-cutter.js';

const limits = { maxMessages: 3, maxBytes: 100, maxSeconds: 10 };

function message(id: string, data = 'x'): CutterEntry {
  return { id, kind: 'message', data, receivedAt: 1 };
}

function gap(id: string): CutterEntry {
  return { id, kind: 'gap', reason: 'reconnect', receivedAt: 1, downMs: 5 };
}

/** Entry ids of each sealed window's messages. */
function ids(sealed: SealedWindow[]): string[][] {
  return sealed.map(({ window }) => window.messages.map((m) => m.id));
}

describe('cutWindows', () => {
  it('closes a window by count as soon as it is full', () => {
    const entries = ['1000-0', '1001-0', '1002-0', '1003-0'].map((id) => message(id));
    const { sealed, open } = cutWindows({ streamId: 's', limits, entries });
    expect(ids(sealed)).toEqual([['1000-0', '1001-0', '1002-0']]);
    expect(sealed[0]?.window).toMatchObject({
      windowId: '1000-0',
      firstEntryId: '1000-0',
      lastEntryId: '1002-0',
      closedBy: 'messages',
      bytes: 3,
      from: 1000,
      to: 1002,
    });
    expect(open?.firstEntryId).toBe('1003-0');
  });

  it('closes a window by bytes when the next message does not fit', () => {
    const entries = [message('1000-0', 'a'.repeat(60)), message('1001-0', 'b'.repeat(50))];
    const { sealed, open } = cutWindows({ streamId: 's', limits, entries });
    expect(ids(sealed)).toEqual([['1000-0']]);
    expect(sealed[0]?.window.closedBy).toBe('bytes');
    expect(sealed[0]?.window.bytes).toBe(60);
    expect(open?.bytes).toBe(50);
  });

  it('counts bytes in UTF-8 and seals a window that is exactly full', () => {
    const entries = [message('1000-0', 'é'.repeat(25)), message('1001-0', 'é'.repeat(25)), message('1002-0')];
    const { sealed } = cutWindows({ streamId: 's', limits, entries });
    expect(ids(sealed)).toEqual([['1000-0', '1001-0']]);
    expect(sealed[0]?.window).toMatchObject({ closedBy: 'bytes', bytes: 100 });
  });

  it('puts a message larger than maxBytes in a window of its own', () => {
    const entries = [message('1000-0'), message('1001-0', 'h'.repeat(500)), message('1002-0')];
    const { sealed, open } = cutWindows({ streamId: 's', limits, entries });
    expect(ids(sealed)).toEqual([['1000-0'], ['1001-0']]);
    expect(sealed.map((s) => s.window.closedBy)).toEqual(['bytes', 'bytes']);
    expect(sealed[1]?.window.bytes).toBe(500);
    expect(open?.firstEntryId).toBe('1002-0');
  });

  it('closes a window by time when the next entry is at or past the deadline', () => {
    const entries = [message('1000-0'), message('10999-5'), message('11000-0')];
    const { sealed, open } = cutWindows({ streamId: 's', limits, entries });
    expect(ids(sealed)).toEqual([['1000-0', '10999-5']]);
    expect(sealed[0]?.window.closedBy).toBe('time');
    expect(open?.firstEntryId).toBe('11000-0');
    expect(open?.deadline).toBe(21_000);
  });

  it('seals a quiet stream by server time at the deadline, and not before', () => {
    const entries = [message('1000-0'), message('2000-0')];
    const before = cutWindows({ streamId: 's', limits, entries, now: 10_999 });
    expect(before.sealed).toEqual([]);
    expect(before.open?.entries).toBe(2);
    const at = cutWindows({ streamId: 's', limits, entries: [], open: before.open, now: 11_000 });
    expect(ids(at.sealed)).toEqual([['1000-0', '2000-0']]);
    expect(at.sealed[0]?.window.closedBy).toBe('time');
    expect(at.open).toBeUndefined();
  });

  it('does not modify the open window it was given', () => {
    const first = cutWindows({ streamId: 's', limits, entries: [message('1000-0')] });
    const snapshot = structuredClone(first.open);
    cutWindows({ streamId: 's', limits, entries: [message('1001-0'), message('1002-0')], open: first.open });
    expect(first.open).toEqual(snapshot);
  });

  it('carries gaps without counting them, and seals gap-only windows with no messages', () => {
    const entries = [
      gap('1000-0'),
      message('1001-0'),
      gap('1002-0'),
      message('1003-0'),
      message('1004-0'),
      gap('20000-0'),
    ];
    const { sealed, open } = cutWindows({ streamId: 's', limits, entries, now: 40_000 });
    expect(ids(sealed)).toEqual([['1001-0', '1003-0', '1004-0'], []]);
    expect(sealed[0]?.window).toMatchObject({ windowId: '1000-0', lastEntryId: '1004-0', closedBy: 'messages' });
    expect(sealed[0]?.window.gaps.map((g) => g.id)).toEqual(['1000-0', '1002-0']);
    expect(sealed[0]?.entries).toBe(5);
    expect(sealed[1]?.window.gaps.map((g) => g.id)).toEqual(['20000-0']);
    expect(open).toBeUndefined();
  });

  it('keeps invalid entries out of the messages but inside the window they fall in', () => {
    const entries = [message('1000-0'), parseStreamEntry('1001-0', ['kind', 'message']), message('1002-0')];
    const { sealed, open } = cutWindows({ streamId: 's', limits, entries, now: 50_000 });
    expect(ids(sealed)).toEqual([['1000-0', '1002-0']]);
    expect(sealed[0]?.invalid.map((entry) => entry.id)).toEqual(['1001-0']);
    expect(sealed[0]?.entries).toBe(3);
    expect(open).toBeUndefined();
  });

  it('yields the same windows whether entries come in one go or in arbitrary chunks', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const entries: CutterEntry[] = [];
    let ms = 1_000;
    for (let index = 0; index < 2_000; index += 1) {
      ms += 1 + Math.floor(random() * 1_500);
      const id = `${ms}-${index % 3}`;
      const roll = random();
      if (roll < 0.05) entries.push(gap(id));
      else if (roll < 0.08) entries.push(parseStreamEntry(id, ['kind', 'bogus']));
      else entries.push(message(id, 'z'.repeat(Math.floor(random() * (roll > 0.97 ? 300 : 60)))));
    }
    const lastTime = ms;
    const oneGo = cutWindows({
      streamId: 's',
      limits: { maxMessages: 7, maxBytes: 200, maxSeconds: 4 },
      entries,
      now: lastTime,
    });

    for (let trial = 0; trial < 20; trial += 1) {
      const sealed: SealedWindow[] = [];
      let open: ReturnType<typeof cutWindows>['open'];
      let offset = 0;
      while (offset < entries.length) {
        const size = 1 + Math.floor(random() * 50);
        const chunk = entries.slice(offset, offset + size);
        offset += size;
        // Server time never exceeds the next entry's id time, so it may be given with any chunk.
        const next = entries[offset];
        const now = next ? Number(next.id.split('-')[0]) : lastTime;
        const result = cutWindows({
          streamId: 's',
          limits: { maxMessages: 7, maxBytes: 200, maxSeconds: 4 },
          entries: chunk,
          open,
          now,
        });
        sealed.push(...result.sealed);
        open = result.open;
      }
      expect(sealed).toEqual(oneGo.sealed);
      expect(open).toEqual(oneGo.open);
    }
    const covered = oneGo.sealed.reduce((sum, s) => sum + s.entries, 0) + (oneGo.open?.entries ?? 0);
    expect(covered).toBe(entries.length);
    expect(new Set(oneGo.sealed.map((s) => s.window.closedBy))).toEqual(new Set(['messages', 'bytes', 'time']));
  });
});

describe('parseStreamEntry', () => {
  it('parses message and gap entries', () => {
    expect(parseStreamEntry('5-0', ['kind', 'message', 'data', '{"a":1}', 'receivedAt', '42'])).toEqual({
      id: '5-0',
      kind: 'message',
      data: '{"a":1}',
      receivedAt: 42,
    });
    expect(parseStreamEntry('6-0', ['kind', 'gap', 'reason', 'closed', 'receivedAt', '43', 'downMs', '900'])).toEqual({
      id: '6-0',
      kind: 'gap',
      reason: 'closed',
      receivedAt: 43,
      downMs: 900,
    });
  });

  it('describes an entry that matches neither', () => {
    const entry = parseStreamEntry('7-1', ['kind', 'message', 'receivedAt', 'soon']);
    expect(entry).toMatchObject({ id: '7-1', kind: 'invalid', receivedAt: 7 });
    expect(entry.kind === 'invalid' && entry.detail).toMatch(/7-1.*data/);
  });
});
