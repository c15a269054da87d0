import { randomUUID } from 'node:crypto';
import { defaultConfig, type StreamConfig, serviceConfigs, type WindowerSettings } from '@turbostream/config';
import { compareEntryIds, DeadLetter, fieldsToObject, type Window, windowJobId } from '@turbostream/contracts';
import { BudgetLedger } from '@turbostream/costs';
import { createLogger } from '@turbostream/logging';
import { analysisQueueName, listWindowJobs, listWindows, queueOptions } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import * as main from './main.js';
import { Windower, type WindowerOptions } from './windower.js';

const logger = createLogger({ level: 'silent' });
const targets: StreamConfig['targets'] = [
  { provider: 'heuristic', model: 'h1' },
  { provider: 'ollama', model: 'llama3:8b' },
];

function streamConfig(window: StreamConfig['window'], id = 'feed'): StreamConfig {
  return {
    id,
    source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'json' },
    window,
    targets,
    instructions: 'Alert on anything odd.',
  };
}

function settings(overrides: Partial<WindowerSettings> = {}): WindowerSettings {
  return { pollMs: 20, leaseMs: 600, maxQueued: 100_000, retentionMs: 3_600_000, ...overrides };
}

/** Every window's entries must follow the previous window's, and all messages must appear once, in order. */
function expectExactCover(windows: Window[], messageIds: string[]): void {
  for (let index = 1; index < windows.length; index += 1) {
    const previous = windows[index - 1];
    const current = windows[index];
    if (!previous || !current) throw new Error('unreachable');
    expect(compareEntryIds(current.firstEntryId, previous.lastEntryId)).toBeGreaterThan(0);
  }
  expect(windows.flatMap((window) => window.messages.map((message) => message.id))).toEqual(messageIds);
}

describe('Windower', () => {
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

  async function startWindower(
    overrides: Partial<WindowerOptions> & Pick<WindowerOptions, 'streams'>,
  ): Promise<Windower> {
    const windower = new Windower({
      redis,
      keys,
      logger,
      settings: settings(),
      owner: `w-${randomUUID().slice(0, 6)}`,
      ...overrides,
    });
    running.push(windower);
    await windower.start();
    return windower;
  }

  async function addMessages(streamId: string, payloads: string[], ids?: string[]): Promise<string[]> {
    const pipeline = redis.pipeline();
    for (const [index, data] of payloads.entries()) {
      pipeline.xadd(
        keys.messages(streamId),
        ids?.[index] ?? '*',
        'kind',
        'message',
        'data',
        data,
        'receivedAt',
        String(Date.now()),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, id]) => {
      if (error || typeof id !== 'string') throw error ?? new Error('XADD returned no id');
      return id;
    });
  }

  async function windowedEntries(streamId: string): Promise<number> {
    return (await readCheckpoint(redis, keys, streamId)).entries;
  }

  redisTest('puts every entry in exactly one window, with one valid job per target', async () => {
    const stream = streamConfig({ maxMessages: 7, maxBytes: 300, maxSeconds: 1 });
    await startWindower({ streams: [stream], chunkSize: 50 });
    const messageIds: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const payloads = Array.from({ length: 40 }, (_, index) =>
        JSON.stringify({
          batch,
          index,
          pad: 'p'.repeat(batch % 2 === 0 ? 0 : ((index * 37) % 200) + (index === 5 ? 400 : 0)),
        }),
      );
      messageIds.push(...(await addMessages(stream.id, payloads)));
      if (batch === 4) {
        await redis.xadd(
          keys.messages(stream.id),
          '*',
          'kind',
          'gap',
          'reason',
          'socket closed',
          'receivedAt',
          '1',
          'downMs',
          '250',
        );
        await redis.xadd(keys.messages(stream.id), '*', 'kind', 'message', 'receivedAt', 'nope');
      }
      // Pacing, not a wait: the windower reads the stream in several chunks as it grows.
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await waitFor(async () => (await windowedEntries(stream.id)) === 402, { description: 'all entries windowed' });

    const windows = await listWindows({ redis, keys, streamId: stream.id });
    expectExactCover(windows, messageIds);
    expect(windows.length).toBeGreaterThan(20);
    expect(new Set(windows.map((window) => window.closedBy))).toEqual(new Set(['messages', 'bytes', 'time']));
    expect(windows.flatMap((window) => window.gaps)).toMatchObject([{ reason: 'socket closed', downMs: 250 }]);
    expect((await readCheckpoint(redis, keys, stream.id)).windows).toBe(windows.length);

    const jobs = await listWindowJobs({ redis, keys, streamId: stream.id });
    expect(jobs).toHaveLength(windows.length * targets.length);
    for (const { jobId, job } of jobs) {
      expect(jobId).toBe(windowJobId(stream.id, job.window.windowId, job.target));
      expect(job).toMatchObject({ v: 1, instructions: stream.instructions });
    }
    for (const target of targets) {
      const queue = new Queue(analysisQueueName(target.provider), { connection: redis, ...queueOptions(keys) });
      expect(await queue.getWaitingCount()).toBe(windows.length);
      await queue.close();
    }

    const letters = await redis.xrange(keys.deadLetters, '-', '+');
    expect(letters).toHaveLength(1);
    expect(DeadLetter.parse(fieldsToObject(letters[0]?.[1] ?? []))).toMatchObject({
      streamId: 'feed',
      reason: 'invalid-entry',
      sample: '{"kind":"message","receivedAt":"nope"}',
      sampleEncoding: 'utf8',
    });
  });

  redisTest('continues from the checkpoint after a restart without enqueueing a window twice', async () => {
    const stream = streamConfig({ maxMessages: 5, maxBytes: 10_000, maxSeconds: 3_600 });
    const first = await addMessages(
      stream.id,
      Array.from({ length: 23 }, (_, index) => `a${index}`),
    );
    const a = await startWindower({ streams: [stream] });
    await waitFor(async () => (await windowedEntries(stream.id)) === 20, { description: 'four windows from A' });
    await a.close();
    expect(a.stats().streams[0]).toMatchObject({ windows: 4, jobs: 8, owned: false });

    const second = await addMessages(
      stream.id,
      Array.from({ length: 12 }, (_, index) => `b${index}`),
    );
    const b = await startWindower({ streams: [stream] });
    await waitFor(async () => (await windowedEntries(stream.id)) === 35, { description: 'seven windows in all' });
    expect(b.stats().streams[0]).toMatchObject({ windows: 3, jobs: 6, checkpoint: second[11] });

    const windows = await listWindows({ redis, keys, streamId: stream.id });
    expect(windows.map((window) => window.windowId)).toEqual([
      first[0],
      first[5],
      first[10],
      first[15],
      first[20],
      second[2],
      second[7],
    ]);
    expectExactCover(windows, [...first, ...second]);
    expect((await readCheckpoint(redis, keys, stream.id)).windows).toBe(7);
  });

  redisTest(
    'recomputes the same windows and job ids after losing the checkpoint, and BullMQ keeps one copy',
    async () => {
      const stream = streamConfig({ maxMessages: 4, maxBytes: 10_000, maxSeconds: 2 });
      const ids = Array.from({ length: 30 }, (_, index) => `${1_000 + index * 700}-${index % 2}`);
      await addMessages(
        stream.id,
        ids.map((id) => `m${id}`),
        ids,
      );
      const retention = { retentionMs: 10 * Date.now() }; // keep every entry, so they can be windowed again
      const a = await startWindower({ streams: [stream], settings: settings(retention) });
      await waitFor(async () => (await windowedEntries(stream.id)) === 30, { description: 'first pass' });
      await a.close();
      const before = await listWindowJobs({ redis, keys, streamId: stream.id });

      await redis.del(keys.windowState(stream.id));
      const b = await startWindower({ streams: [stream], settings: settings(retention) });
      await waitFor(async () => (await windowedEntries(stream.id)) === 30, { description: 'second pass' });
      const after = await listWindowJobs({ redis, keys, streamId: stream.id });

      expect(b.stats().streams[0]?.jobs).toBe(before.length);
      expect(after).toEqual(before); // same ids, and the first copies (same enqueuedAt) untouched
      expectExactCover(
        after.filter(({ job }) => job.target.provider === 'heuristic').map(({ job }) => job.window),
        ids,
      );
    },
  );

  redisTest('trims windowed entries only, never the open window', async () => {
    const stream = streamConfig({ maxMessages: 10, maxBytes: 10_000, maxSeconds: 3_600 });
    const ids = await addMessages(
      stream.id,
      Array.from({ length: 25 }, (_, index) => `e${index}`),
    );
    await startWindower({ streams: [stream], settings: settings({ retentionMs: 0 }) });
    await waitFor(async () => (await windowedEntries(stream.id)) === 20, { description: 'two windows' });
    const left = await redis.xrange(keys.messages(stream.id), '-', '+');
    expect(left.map(([id]) => id)).toEqual(ids.slice(20));
  });

  redisTest('keeps windowed entries while they are younger than the retention', async () => {
    const stream = streamConfig({ maxMessages: 10, maxBytes: 10_000, maxSeconds: 3_600 });
    await addMessages(
      stream.id,
      Array.from({ length: 25 }, (_, index) => `e${index}`),
    );
    await startWindower({ streams: [stream] });
    await waitFor(async () => (await windowedEntries(stream.id)) === 20, { description: 'two windows' });
    expect(await redis.xlen(keys.messages(stream.id))).toBe(25);
  });

  redisTest('stops enqueueing while a target queue holds maxQueued jobs, and resumes when it drains', async () => {
    const stream: StreamConfig = {
      ...streamConfig({ maxMessages: 1, maxBytes: 10_000, maxSeconds: 3_600 }),
      targets: [{ provider: 'heuristic', model: 'h1' }],
    };
    const ids = await addMessages(
      stream.id,
      Array.from({ length: 20 }, (_, index) => `e${index}`),
    );
    const windower = await startWindower({ streams: [stream], settings: settings({ maxQueued: 6 }) });
    const queue = new Queue(analysisQueueName('heuristic'), { connection: redis, ...queueOptions(keys) });
    try {
      await waitFor(() => windower.stats().streams[0]?.backpressured, { description: 'backpressure' });
      // The point of the test: 200 ms of polls (pollMs 20) enqueue nothing more while the queue is full.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await queue.getWaitingCount()).toBe(6);
      expect((await readCheckpoint(redis, keys, stream.id)).lastEntryId).toBe(ids[5]);

      await queue.drain();
      await waitFor(async () => (await readCheckpoint(redis, keys, stream.id)).lastEntryId === ids[11], {
        description: 'six more windows',
      });
      // As above: full again, it stops at six more.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await queue.getWaitingCount()).toBe(6);
      expect((await readCheckpoint(redis, keys, stream.id)).lastEntryId).toBe(ids[11]);
    } finally {
      await queue.close();
    }
  });

  redisTest(
    'cuts no windows while the stream budget or a target provider budget is spent, and resumes when it rolls over',
    async () => {
      const stream: StreamConfig = {
        ...streamConfig({ maxMessages: 1, maxBytes: 10_000, maxSeconds: 3_600 }),
        targets: [{ provider: 'ollama', model: 'llama3:8b' }],
        budget: { usdPerDay: 1 },
      };
      const ledger = new BudgetLedger({ redis, keys });
      // Spend the budget as the analyzers would: the second reservation does not fit and marks it spent for today.
      const spend = async (scope: string) => {
        const scopes = [{ scope, budget: { usdPerDay: 1 } }];
        await ledger.reserve(scopes, { usd: 0.6, tokens: 0 });
        expect((await ledger.reserve(scopes, { usd: 0.6, tokens: 0 })).kind).toBe('exhausted');
      };
      const queue = new Queue(analysisQueueName('ollama'), { connection: redis, ...queueOptions(keys) });
      try {
        for (const scope of [`stream:${stream.id}`, 'provider:ollama']) {
          await spend(scope);
          const ids = await addMessages(stream.id, ['{"a":1}', '{"a":2}', '{"a":3}']);
          const windower = await startWindower({ streams: [stream] });
          await waitFor(() => windower.stats().streams[0]?.backpressured, { description: `${scope} spent` });
          // The point of the test: 200 ms of polls (pollMs 20) cut nothing while the budget is spent.
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect(await queue.getWaitingCount()).toBe(0);
          // The day rolls over (as far as the ledger knows): windowing resumes within the watch's second.
          await redis.del(keys.budget(scope));
          await waitFor(async () => (await queue.getWaitingCount()) === 3, { description: 'the three windows' });
          // A window's job is added before the checkpoint passes it (a crash between the two re-cuts it under the
          // same job id), so the checkpoint may trail the count by a moment.
          await waitFor(async () => (await readCheckpoint(redis, keys, stream.id)).lastEntryId === ids[2], {
            description: 'the checkpoint past the three windows',
          });
          await running.pop()?.close();
          await queue.obliterate({ force: true });
        }
      } finally {
        await queue.close();
      }
    },
  );

  redisTest(
    'startWindower windows the configured streams on a connection of its own, which it closes',
    async ({ server }) => {
      const config = serviceConfigs({
        ...defaultConfig({ REDIS_URL: server.url, TURBOSTREAM_INSTANCE_ID: 'i1' }),
        namespace: keys.namespace,
        streams: [streamConfig({ maxMessages: 2, maxBytes: 10_000, maxSeconds: 60 })],
      });
      const started = await main.startWindower({ ...config.windower, windower: settings() }, logger);
      try {
        expect(started.service.stats().streams.map((stream) => stream.streamId)).toEqual(['feed']);
        await waitFor(async () => String(await redis.client('LIST')).includes('name=turbostream:windower'), {
          description: 'the windower connected',
        });
      } finally {
        await started.service.close();
        await started.disconnect();
      }
      await waitFor(async () => !String(await redis.client('LIST')).includes('name=turbostream:windower'), {
        description: 'the windower disconnected',
      });
    },
  );
});
