import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { compareEntryIds } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { listWindows } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { type RedisServer, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { Checkpoint, readCheckpoint } from './checkpoint.js';
import { Windower } from './windower.js';

const logger = createLogger({ level: 'silent' });
const stream: StreamConfig = {
  id: 'ticks',
  source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'text' },
  window: { maxMessages: 6, maxBytes: 100_000, maxSeconds: 3_600 },
  targets: [{ provider: 'heuristic', model: 'h1' }],
  instructions: 'Alert on anything odd.',
};
const settings: WindowerSettings = { pollMs: 20, leaseMs: 400, maxQueued: 100_000, retentionMs: 3_600_000 };

describe('Windower ownership', () => {
  let server: RedisServer;
  let redis: Redis;
  let keys: KeyLayout;
  const cleanups: (() => Promise<void> | void)[] = [];

  redisTest.beforeEach(({ server: fileServer, redis: client, namespace }) => {
    server = fileServer;
    redis = client;
    keys = createKeyLayout(namespace);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A windower on its own connection, so a test can cut it off like a crashed process. */
  async function startWindower(owner: string): Promise<{ windower: Windower; connection: Redis }> {
    const connection = server.client();
    const windower = new Windower({ redis: connection, keys, logger, streams: [stream], settings, owner });
    cleanups.push(() => connection.disconnect());
    cleanups.push(() => windower.close());
    await windower.start();
    return { windower, connection };
  }

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

  async function expectCoveredOnce(ids: string[]): Promise<void> {
    await waitFor(async () => (await readCheckpoint(redis, keys, stream.id)).lastEntryId === ids.at(-1), {
      description: 'every entry windowed',
    });
    const windows = await listWindows({ redis, keys, streamId: stream.id });
    windows.slice(1).forEach((window, index) => {
      expect(compareEntryIds(window.firstEntryId, windows[index]?.lastEntryId ?? '0-0')).toBeGreaterThan(0);
    });
    expect(windows.flatMap((window) => window.messages.map((message) => message.id))).toEqual(ids);
    expect((await readCheckpoint(redis, keys, stream.id)).windows).toBe(windows.length);
  }

  redisTest('gives a stream one owner, and fails over when the owner dies without releasing it', async () => {
    const a = await startWindower('a');
    await waitFor(() => a.windower.owns(stream.id), { description: 'a owns the stream' });
    const b = await startWindower('b');
    const ids = await addMessages(30, 'x');
    // The point of the test: over five samples 40 ms apart, b (polling every 20 ms) never takes the stream from a.
    for (let sample = 0; sample < 5; sample += 1) {
      expect([a.windower.owns(stream.id), b.windower.owns(stream.id)]).toEqual([true, false]);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await waitFor(async () => (await readCheckpoint(redis, keys, stream.id)).entries === 30, {
      description: 'a windowed the first entries',
    });
    expect(b.windower.stats().streams[0]).toMatchObject({ owned: false, windows: 0, checkpoint: undefined });

    a.connection.disconnect(); // a "crashes": its lease is neither renewed nor released
    ids.push(...(await addMessages(3, 'y')));
    await waitFor(() => b.windower.owns(stream.id), { description: 'b takes over' });
    await waitFor(() => !a.windower.owns(stream.id), { description: 'a gives up' });
    ids.push(...(await addMessages(21, 'z')));
    await expectCoveredOnce(ids);
    expect(b.windower.stats().streams[0]?.windows).toBe(4);
  });

  redisTest('stops working a stream as soon as its lease is taken, and another owner continues', async () => {
    const a = await startWindower('a');
    await waitFor(() => a.windower.owns(stream.id), { description: 'a owns the stream' });
    const ids = await addMessages(12, 'x');
    await waitFor(async () => (await readCheckpoint(redis, keys, stream.id)).entries === 12, {
      description: 'two windows',
    });

    await redis.set(keys.windowLease(stream.id), 'intruder', 'PX', 60_000);
    await waitFor(() => !a.windower.owns(stream.id), { description: 'a notices' });
    ids.push(...(await addMessages(12, 'y')));
    // The point of the test: 200 ms of polls in which a, without the lease, windows none of the new entries.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await readCheckpoint(redis, keys, stream.id)).lastEntryId).toBe(ids[11]);

    await redis.del(keys.windowLease(stream.id));
    await expectCoveredOnce(ids);
    expect(a.windower.owns(stream.id)).toBe(true);
  });

  redisTest('refuses to move the checkpoint for a windower that does not hold the lease', async () => {
    await redis.set(keys.windowLease(stream.id), 'b', 'PX', 60_000);
    const commit = { expected: undefined, lastEntryId: '5-0', windows: 1, entries: 1, trimBelow: '0-0', updatedAt: 1 };
    expect(await new Checkpoint({ redis, keys, streamId: stream.id, owner: 'a' }).commit(commit)).toEqual({
      status: 'lease-lost',
    });
    expect((await readCheckpoint(redis, keys, stream.id)).lastEntryId).toBeUndefined();
    expect(await new Checkpoint({ redis, keys, streamId: stream.id, owner: 'b' }).commit(commit)).toEqual({
      status: 'moved',
      trimmed: 0,
    });
    expect(await readCheckpoint(redis, keys, stream.id)).toEqual({ lastEntryId: '5-0', windows: 1, entries: 1 });
  });

  redisTest('releases its leases on close, so another windower takes over at once', async () => {
    const a = await startWindower('a');
    await waitFor(() => a.windower.owns(stream.id), { description: 'a owns the stream' });
    await a.windower.close();
    await a.windower.close();
    expect(await redis.get(keys.windowLease(stream.id))).toBeNull();
    expect(a.connection.status).toBe('ready');
  });
});
