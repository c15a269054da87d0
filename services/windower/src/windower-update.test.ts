import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { createLogger } from '@turbostream/logging';
import { listWindowJobs, listWindows } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout, writeTargetOverride } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { Windower } from './windower.js';

const logger = createLogger({ level: 'silent' });
const settings: WindowerSettings = { pollMs: 20, leaseMs: 2_000, maxQueued: 100_000, retentionMs: 3_600_000 };

function stream(id: string, maxMessages: number, overrides: Partial<StreamConfig> = {}): StreamConfig {
  return {
    id,
    source: { url: `ws://127.0.0.1:1/${id}`, subscribe: [], headers: {}, format: 'json' },
    window: { maxMessages, maxBytes: 100_000, maxSeconds: 3_600 },
    targets: [{ provider: 'heuristic', model: 'mad' }],
    instructions: 'i',
    ...overrides,
  };
}

describe('Windower.update', () => {
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

  const start = async (streams: StreamConfig[]) => {
    const windower = new Windower({ redis, keys, logger, streams, settings, owner: 'w1' });
    running.push(windower);
    await windower.start();
    return windower;
  };
  const add = async (streamId: string, count: number) => {
    for (let index = 0; index < count; index += 1)
      await redis.xadd(
        keys.messages(streamId),
        '*',
        'kind',
        'message',
        'data',
        `{"n":${index}}`,
        'receivedAt',
        String(Date.now()),
      );
  };
  const sizes = async (streamId: string) =>
    (await listWindows({ redis, keys, streamId, providers: ['heuristic'] }))
      .map((window) => window.messages.length)
      .join();

  redisTest('starts windowing added streams and stops removed ones, releasing their leases', async () => {
    const windower = await start([stream('a', 2)]);
    await add('a', 2);
    await waitFor(async () => (await sizes('a')) === '2', { description: 'a windowed' });

    expect(await windower.update([stream('a', 2), stream('b', 3)])).toEqual({
      added: ['b'],
      removed: [],
      restarted: [],
    });
    await add('b', 3);
    await waitFor(async () => (await sizes('b')) === '3', { description: 'b windowed' });

    expect(await windower.update([stream('b', 3)])).toEqual({ added: [], removed: ['a'], restarted: [] });
    expect(await redis.exists(keys.windowLease('a'))).toBe(0);
    expect(windower.stats().streams.map((item) => item.streamId)).toEqual(['b']);
    expect(windower.owns('a')).toBe(false);
  });

  redisTest('cuts the next windows, the open one included, with new limits; stored windows stay', async () => {
    const windower = await start([stream('a', 4)]);
    await add('a', 6);
    await waitFor(async () => (await sizes('a')) === '4' && windower.stats().streams[0]?.open?.entries === 2, {
      description: 'one window of 4, two entries open',
    });

    expect(await windower.update([stream('a', 2)])).toEqual({ added: [], removed: [], restarted: ['a'] });
    await add('a', 3);
    await waitFor(async () => (await sizes('a')) === '4,2,2', {
      description: 'the open window cut again by 2, then the next one',
    });
  });

  redisTest('takes new file targets for the next windows, and a live override still wins', async () => {
    const windower = await start([stream('a', 1), stream('b', 1)]);
    await writeTargetOverride(redis, keys, 'b', [{ provider: 'anthropic', model: 'claude-live' }], 'test');
    const compare = {
      targets: [
        { provider: 'heuristic' as const, model: 'mad' },
        { provider: 'openai' as const, model: 'gpt-file' },
      ],
    };
    expect(await windower.update([stream('a', 1, compare), stream('b', 1, compare)])).toEqual({
      added: [],
      removed: [],
      restarted: ['a', 'b'],
    });
    await add('a', 1);
    await add('b', 1);
    const targetsOf = async (streamId: string) =>
      (await listWindowJobs({ redis, keys, streamId, providers: ['heuristic', 'openai', 'anthropic'] }))
        .map(({ job }) => `${job.target.provider}/${job.target.model}`)
        .sort()
        .join();
    await waitFor(async () => (await targetsOf('a')) === 'heuristic/mad,openai/gpt-file', {
      description: "a analysed by the file's new targets",
    });
    await waitFor(async () => (await targetsOf('b')) === 'anthropic/claude-live', {
      description: 'b analysed by its override',
    });
  });

  redisTest('restarts nothing for a new source alone, and refuses an invalid list whole', async () => {
    const windower = await start([stream('a', 2)]);
    const moved = stream('a', 2, { source: { url: 'ws://127.0.0.1:2/a', subscribe: [], headers: {}, format: 'json' } });
    expect(await windower.update([moved])).toEqual({ added: [], removed: [], restarted: [] });
    expect(() => windower.update([moved, moved])).toThrow(/configured twice/);
    expect(() => windower.update([stream('a', 2, { targets: [] })])).toThrow(/no analysis target/);
  });
});
