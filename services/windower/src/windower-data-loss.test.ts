import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { windowJobId } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { analysisQueueName, listWindows, queueOptions } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { Checkpoint, readCheckpoint } from './checkpoint.js';
import { Windower } from './windower.js';

const logger = createLogger({ level: 'silent' });
const target = { provider: 'heuristic', model: 'h1' } as const;
const stream: StreamConfig = {
  id: 'ticks',
  source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'text' },
  window: { maxMessages: 6, maxBytes: 100_000, maxSeconds: 3_600 },
  targets: [target],
  instructions: 'Alert on anything odd.',
};
const settings: WindowerSettings = { pollMs: 20, leaseMs: 5_000, maxQueued: 100_000, retentionMs: 3_600_000 };

/**
 * Redis losing acknowledged writes, done by hand while a windower runs (the
 * end-to-end suite restarts a real redis-server from an old snapshot): jobs
 * and stream entries written after the "snapshot" vanish, then the checkpoint
 * goes back — in that order, so the windower cannot re-window before the loss is complete.
 */
describe('Windower after Redis loses writes', () => {
  let redis: Redis;
  let keys: KeyLayout;
  let queue: Queue;
  let windower: Windower | undefined;

  redisTest.beforeEach(async ({ redis: client, namespace }) => {
    redis = client;
    keys = createKeyLayout(namespace);
    queue = new Queue(analysisQueueName(target.provider), { connection: redis, ...queueOptions(keys) });
    windower = new Windower({ redis, keys, logger, streams: [stream], settings, owner: 'w1' });
    await windower.start();
  });
  afterEach(async () => {
    await windower?.close();
    await queue.close();
  });

  async function addMessages(count: number, tag: string): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const id = await redis.xadd(
        keys.messages(stream.id),
        '*',
        'kind',
        'message',
        'data',
        `${tag}${index}`,
        'receivedAt',
        String(Date.now()),
      );
      if (id) ids.push(id);
    }
    return ids;
  }

  async function checkpointAt(lastEntryId: string | undefined): Promise<void> {
    await waitFor(async () => (await readCheckpoint(redis, keys, stream.id)).lastEntryId === lastEntryId, {
      description: `the checkpoint at ${lastEntryId}`,
    });
  }

  /** Removes the jobs of these windows and these stream entries, then sets the checkpoint back. */
  async function loseWrites(lost: {
    jobsOf: (string | undefined)[];
    entries: string[];
    checkpoint: { lastEntryId: string | undefined; windows: number; entries: number };
  }): Promise<void> {
    for (const windowId of lost.jobsOf) await queue.remove(windowJobId(stream.id, windowId ?? '', target));
    if (lost.entries.length > 0) await redis.xdel(keys.messages(stream.id), ...lost.entries);
    const { lastEntryId, windows, entries } = lost.checkpoint;
    const state = keys.windowState(stream.id);
    const fields = {
      ...(lastEntryId ? { lastEntryId } : {}),
      windows: String(windows),
      entries: String(entries),
      owner: 'w1',
    };
    await redis.multi().del(state).hset(state, fields).exec();
  }

  /**
   * Every message the stream holds is in exactly one stored window, and no window holds a message the stream lost
   * unless `lostAllowed`.
   */
  async function expectEachOnce(stored: string[], lostAllowed: string[] = []): Promise<void> {
    const windowed = (await listWindows({ redis, keys, streamId: stream.id })).flatMap((window) =>
      window.messages.map((message) => message.id),
    );
    expect(windowed.filter((id) => !lostAllowed.includes(id))).toEqual(stored);
  }

  redisTest('windows again from the checkpoint that went back, re-storing the jobs Redis lost', async () => {
    const before = await addMessages(30, 'e');
    await checkpointAt(before[29]);
    await loseWrites({
      jobsOf: [before[12], before[18], before[24]],
      entries: before.slice(15),
      checkpoint: { lastEntryId: before[11], windows: 2, entries: 12 },
    });

    const after = await addMessages(9, 'n');
    await checkpointAt(after[8]);
    await expectEachOnce([...before.slice(0, 15), ...after]);
    expect((await listWindows({ redis, keys, streamId: stream.id })).map((window) => window.windowId)).toEqual([
      before[0],
      before[6],
      before[12],
      after[3],
    ]);
    expect(windower?.stats().streams[0]?.rewinds).toBe(1);
  });

  redisTest('drops an open window whose entries Redis lost, though the checkpoint stayed', async () => {
    const before = await addMessages(15, 'e');
    await checkpointAt(before[11]);
    await waitFor(() => windower?.stats().streams[0]?.open?.entries === 3, {
      description: 'three entries in the open window',
    });
    await loseWrites({
      jobsOf: [],
      entries: before.slice(13),
      checkpoint: { lastEntryId: before[11], windows: 2, entries: 12 },
    });

    const after = await addMessages(11, 'n');
    await checkpointAt(after[10]);
    await expectEachOnce([...before.slice(0, 13), ...after]);
    expect(windower?.stats().streams[0]?.rewinds).toBe(1);
  });

  redisTest(
    'keeps a window whose job was stored from entries Redis lost (an add re-sent after the loss), and goes on ' +
      'after it',
    async () => {
      const before = await addMessages(30, 'e');
      await checkpointAt(before[29]);
      // The job of the window e6–e11 is lost; that of e12–e17 survives, as if stored again after the loss; e16 onwards
      // are lost.
      await loseWrites({
        jobsOf: [before[6], before[18], before[24]],
        entries: before.slice(16),
        checkpoint: { lastEntryId: before[5], windows: 1, entries: 6 },
      });

      const after = await addMessages(12, 'n');
      await checkpointAt(after[11]);
      await expectEachOnce([...before.slice(0, 16), ...after], before.slice(16, 18));
      expect((await listWindows({ redis, keys, streamId: stream.id })).map((window) => window.windowId)).toEqual([
        before[0],
        before[6],
        before[12],
        after[0],
        after[6],
      ]);
      expect(windower?.stats().streams[0]?.rewinds).toBe(1);
    },
  );

  redisTest(
    'commits only from where it last saw the checkpoint, and a commit re-sent after a lost reply changes ' + 'nothing',
    async () => {
      await windower?.close();
      await redis.set(keys.windowLease(stream.id), 'a', 'PX', 60_000);
      const checkpoint = new Checkpoint({ redis, keys, streamId: stream.id, owner: 'a' });
      const commit = {
        expected: undefined,
        lastEntryId: '5-0',
        windows: 1,
        entries: 3,
        trimBelow: '0-0',
        updatedAt: 1,
      };
      expect(await checkpoint.commit(commit)).toEqual({ status: 'moved', trimmed: 0 });
      expect(await checkpoint.commit(commit)).toEqual({ status: 'moved', trimmed: 0 });
      expect(await checkpoint.commit({ ...commit, expected: '3-0', lastEntryId: '9-0' })).toEqual({
        status: 'elsewhere',
        found: '5-0',
      });
      expect(await readCheckpoint(redis, keys, stream.id)).toEqual({ lastEntryId: '5-0', windows: 1, entries: 3 });
      expect(await checkpoint.commit({ ...commit, expected: '5-0', lastEntryId: '9-0' })).toEqual({
        status: 'moved',
        trimmed: 0,
      });
      expect(await readCheckpoint(redis, keys, stream.id)).toEqual({ lastEntryId: '9-0', windows: 2, entries: 6 });
    },
  );
});
