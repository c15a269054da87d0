import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { createLogger } from '@turbostream/logging';
import { analysisQueueName, listWindows, queueOptions } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { RedisServer, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import { Windower } from './windower.js';

const logger = createLogger({ level: (process.env.TEST_LOG as 'debug') ?? 'silent' });

function streamConfig(id: string, window: StreamConfig['window']): StreamConfig {
  return {
    id,
    source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'text' },
    window,
    targets: [{ provider: 'heuristic', model: 'h1' }],
    instructions: 'Alert on anything odd.',
  };
}

/** No check of what entries do not tell falls due during a test: only new entries and deadlines can wake a stream. */
const noPolls: WindowerSettings = { pollMs: 600_000, leaseMs: 10_000, maxQueued: 100_000, retentionMs: 3_600_000 };

/** Calls per command since the last `CONFIG RESETSTAT`, from `INFO commandstats` (commands run by scripts included). */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1] ?? '', Number(match[2] ?? '0'));
  return calls;
}

/**
 * The windower wakes on new entries (one blocking `XREAD` over its streams) and at open windows' deadlines, not on a
 * timer: these tests give it a `pollMs` no test outlasts.
 */
describe('Windower wakes', () => {
  let redis: Redis;
  let keys: KeyLayout;
  const running: Windower[] = [];

  redisTest.beforeEach(({ redis: client, namespace }) => {
    redis = client;
    keys = createKeyLayout(namespace);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((windower) => windower.close()));
  });

  async function start(streams: StreamConfig[], client = redis, layout = keys): Promise<Windower> {
    const windower = new Windower({ redis: client, keys: layout, logger, streams, settings: noPolls, owner: 'w1' });
    running.push(windower);
    await windower.start();
    await waitFor(() => windower.stats().streams.every((stream) => stream.owned), { description: 'streams owned' });
    return windower;
  }

  async function add(streamId: string, count: number, client = redis, layout = keys, ids?: string[]) {
    const added: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const id = await client.xadd(
        layout.messages(streamId),
        ids?.[index] ?? '*',
        'kind',
        'message',
        'data',
        `m${index}`,
        'receivedAt',
        String(Date.now()),
      );
      if (id) added.push(id);
    }
    return added;
  }

  redisTest('stores a window closed by count as soon as its last entry is added, with no poll due', async () => {
    await start([streamConfig('count', { maxMessages: 5, maxBytes: 100_000, maxSeconds: 3_600 })]);
    const ids = await add('count', 5);
    const windows = await waitFor(
      async () => {
        const stored = await listWindows({ redis, keys, streamId: 'count' });
        return stored.length === 1 ? stored : undefined;
      },
      { timeoutMs: 5_000, description: 'the window closed by its fifth message' },
    );
    expect(windows[0]?.closedBy).toBe('messages');
    expect(windows[0]?.messages.map((message) => message.id)).toEqual(ids);
  });

  redisTest('seals an open window at its deadline, with no later entry and no poll due', async () => {
    await start([streamConfig('time', { maxMessages: 1_000, maxBytes: 100_000, maxSeconds: 1 })]);
    const ids = await add('time', 2);
    const windows = await waitFor(
      async () => {
        const stored = await listWindows({ redis, keys, streamId: 'time' });
        return stored.length === 1 ? stored : undefined;
      },
      { timeoutMs: 5_000, description: 'the window sealed by its deadline' },
    );
    expect(windows[0]?.closedBy).toBe('time');
    expect(windows[0]?.messages.map((message) => message.id)).toEqual(ids);
  });

  redisTest('reads none of its idle streams, and rewrites none of their statuses, while they stay idle', async () => {
    const streams = Array.from({ length: 20 }, (_, index) =>
      streamConfig(`idle-${index}`, { maxMessages: 10, maxBytes: 100_000, maxSeconds: 1 }),
    );
    const windower = new Windower({
      redis,
      keys,
      logger,
      streams,
      settings: { ...noPolls, pollMs: 20 }, // its checks run all the time: they must not read the streams either
      owner: 'w1',
      providerWatch: { intervalMs: 50 }, // and so do those of the providers, which write each stream's status
    });
    running.push(windower);
    await windower.start();
    await waitFor(() => windower.stats().streams.every((stream) => stream.owned), { description: 'streams owned' });
    // Each stream is read to its end once, then followed by the blocking read.
    await waitFor(async () => ((await commandCalls(redis)).get('xrange') ?? 0) >= streams.length, {
      description: 'every stream read once',
    });
    await waitFor(async () => String(await redis.client('LIST')).includes('cmd=xread'), {
      description: 'a blocked XREAD',
    });
    await waitFor(async () => (await redis.exists(...streams.map((stream) => keys.streamStatus(stream.id)))) === 20, {
      description: 'every stream status written',
    });
    await redis.config('RESETSTAT');
    // The point of the test: a second in which nothing is added (a polling windower read each stream 50 times).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const calls = await commandCalls(redis);
    expect(calls.get('xrange') ?? 0).toBe(0);
    expect(calls.get('xread') ?? 0).toBeLessThanOrEqual(2);
    expect(calls.get('set') ?? 0).toBe(0);
  });

  redisTest(
    'stops following a stream while a full queue pauses it, and follows it again once the queue drains',
    async () => {
      const stream = streamConfig('paused', { maxMessages: 1, maxBytes: 100_000, maxSeconds: 3_600 });
      const windower = new Windower({
        redis,
        keys,
        logger,
        streams: [stream],
        settings: { ...noPolls, pollMs: 20, maxQueued: 2 },
        owner: 'w1',
      });
      running.push(windower);
      const queue = new Queue(analysisQueueName('heuristic'), { connection: redis, ...queueOptions(keys) });
      try {
        await windower.start();
        await waitFor(async () => /flags=\S*b\S* .*cmd=xread/.test(String(await redis.client('LIST'))), {
          description: 'the stream followed',
        });
        await add('paused', 3);
        await waitFor(() => windower.stats().streams[0]?.backpressured, { description: 'the queue full' });
        await waitFor(async () => !/flags=\S*b\S* .*cmd=xread/.test(String(await redis.client('LIST'))), {
          description: 'no blocked XREAD left',
        });
        await redis.config('RESETSTAT');
        const waiting = await add('paused', 5);
        // The point of the test: the source keeps sending while the stream is paused, and nothing reads it meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect((await commandCalls(redis)).get('xread') ?? 0).toBe(0);

        await queue.drain();
        await waitFor(async () => (await readCheckpoint(redis, keys, 'paused')).lastEntryId === waiting[0], {
          description: 'two more windows once the queue drained (the one held back, and the first sent while paused)',
        });
        // Drained until the rest is windowed, the stream is at its end: followed again.
        await waitFor(
          async () => {
            await queue.drain();
            return (await readCheckpoint(redis, keys, 'paused')).lastEntryId === waiting[4];
          },
          { description: 'the rest windowed' },
        );
        await waitFor(async () => /flags=\S*b\S* .*cmd=xread/.test(String(await redis.client('LIST'))), {
          description: 'followed again',
        });
      } finally {
        await queue.close();
      }
    },
  );

  redisTest(
    'follows a stream again after Redis restarts from an older snapshot and new entries take lower ids than those ' +
      'it was told of',
    async () => {
      const server = await RedisServer.start(); // its own, to restart from a snapshot
      const client = server.client();
      const layout = createKeyLayout('snap');
      try {
        await start([streamConfig('snap', { maxMessages: 3, maxBytes: 100_000, maxSeconds: 3_600 })], client, layout);
        // Ids given by hand, from now on (windows close by count, not by an old entry's deadline).
        const at = (offsetMs: number) => [1, 2, 3].map((sequence) => `${base + offsetMs}-${sequence}`);
        const base = Date.now();
        const first = await add('snap', 3, client, layout, at(0));
        await waitFor(async () => (await listWindows({ redis: client, keys: layout, streamId: 'snap' })).length === 1, {
          description: 'the first window',
        });
        await client.save(); // the snapshot: the first window, and the stream up to its last entry
        // A second window, then lost with the restart: the windower follows the stream from its last entry by then.
        await add('snap', 3, client, layout, at(5_000));
        await waitFor(async () => (await listWindows({ redis: client, keys: layout, streamId: 'snap' })).length === 2, {
          description: 'the second window',
        });
        await server.kill();
        await server.restart();
        // After the restart the stream ends at the first window again: these ids are below those of the second.
        const again = await add('snap', 3, client, layout, at(2_000));
        const windows = await waitFor(
          async () => {
            const stored = await listWindows({ redis: client, keys: layout, streamId: 'snap' });
            return stored.length === 2 ? stored : undefined;
          },
          { timeoutMs: 10_000, description: 'the window of the entries added after the restart' },
        );
        expect(windows.map((window) => window.messages.map((message) => message.id))).toEqual([first, again]);
      } finally {
        await Promise.all(running.splice(0).map((windower) => windower.close()));
        client.disconnect();
        await server.dispose();
      }
    },
  );
});
