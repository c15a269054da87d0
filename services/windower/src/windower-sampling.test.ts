import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { OpsEvent, sampledIn, type Window, windowJobId } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { listWindowJobs } from '@turbostream/queue';
import { createKeyLayout, EventPublisher, type KeyLayout, writeTargetOverride } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { windowJobs, windowTargets } from './window-jobs.js';
import { Windower } from './windower.js';

const logger = createLogger({ level: 'silent' });
const settings: WindowerSettings = { pollMs: 20, leaseMs: 2_000, maxQueued: 100_000, retentionMs: 3_600_000 };
const main = { provider: 'heuristic', model: 'mad' } as const;
const compare = { provider: 'heuristic', model: 'second-opinion' } as const;

function stream(samples?: Record<string, number>): StreamConfig {
  return {
    id: 'feed',
    source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'json' },
    window: { maxMessages: 5, maxBytes: 100_000, maxSeconds: 60 },
    targets: [main, compare],
    ...(samples ? { samples } : {}),
    instructions: 'i',
  };
}

function window(windowId: string): Window {
  return {
    streamId: 'feed',
    windowId,
    firstEntryId: windowId,
    lastEntryId: windowId,
    closedBy: 'messages',
    bytes: 7,
    from: 1,
    to: 1,
    messages: [{ id: windowId, data: '{"n":1}', receivedAt: 1 }],
    gaps: [],
  };
}

describe('windowJobs with sampled comparison targets', () => {
  const ids = Array.from({ length: 2_000 }, (_, index) => `${1_764_504_000_000 + index * 37}-0`);

  it('gives the stream target every window and a sampled target about its share, the same each time', () => {
    const sampled = stream({ 'heuristic/second-opinion': 0.2 });
    const jobs = ids.map((id) => windowJobs(sampled, window(id), 5).map((job) => job.jobId));
    expect(jobs.every((names, index) => names[0] === windowJobId('feed', ids[index] ?? '', main))).toBe(true);
    const compared = jobs.filter((names) => names.length === 2).length / ids.length;
    expect(compared).toBeGreaterThan(0.17);
    expect(compared).toBeLessThan(0.23);
    expect(ids.map((id) => windowJobs(sampled, window(id), 9).map((job) => job.jobId))).toEqual(jobs);
  });

  it('never samples the stream target out, and keeps the sample out of the job', () => {
    const sampled = stream({ 'heuristic/mad': 0.01, 'heuristic/second-opinion': 0.5 });
    expect(ids.every((id) => windowTargets(sampled, id)[0] === main)).toBe(true);
    for (const id of ids.slice(0, 50))
      for (const job of windowJobs(sampled, window(id), 5))
        expect(Object.keys(job.data.target).sort()).toEqual(['model', 'provider']);
  });

  it('gives every target every window without samples', () => {
    expect(ids.every((id) => windowJobs(stream(), window(id), 5).length === 2)).toBe(true);
  });
});

describe('Windower with sampled comparison targets', () => {
  let redis: Redis;
  let subscriber: Redis;
  let keys: KeyLayout;
  let events: OpsEvent[];
  const running: Array<{ close(): Promise<void> }> = [];

  redisTest.beforeAll(({ server }) => {
    subscriber = server.client();
    subscriber.on('message', (_channel: string, message: string) => events.push(OpsEvent.parse(JSON.parse(message))));
  });
  afterAll(() => {
    subscriber.disconnect();
  });
  redisTest.beforeEach(async ({ redis: client, namespace }) => {
    redis = client;
    keys = createKeyLayout(namespace);
    events = [];
    await subscriber.subscribe(keys.eventsChannel);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((item) => item.close()));
    await subscriber.unsubscribe();
  });

  async function add(count: number): Promise<void> {
    const writes = redis.pipeline();
    for (let index = 0; index < count; index += 1)
      writes.xadd(
        keys.messages('feed'),
        '*',
        'kind',
        'message',
        'data',
        `{"n":${index}}`,
        'receivedAt',
        String(Date.now()),
      );
    await writes.exec();
  }

  /** Window id → the models that got a job for it. */
  async function assignments(): Promise<Map<string, string[]>> {
    const byWindow = new Map<string, string[]>();
    for (const { job } of await listWindowJobs({ redis, keys, streamId: 'feed' }))
      byWindow.set(job.window.windowId, [...(byWindow.get(job.window.windowId) ?? []), job.target.model].sort());
    return byWindow;
  }

  function start(config: StreamConfig, owner = 'w1'): Windower {
    const windower = new Windower({
      redis,
      keys,
      logger,
      events: new EventPublisher({ redis, keys, service: 'windower' }),
      streams: [config],
      settings,
      owner,
    });
    running.push(windower);
    return windower;
  }

  redisTest('enqueues comparison jobs only for the windows in the sample, and the stream target for all', async () => {
    await start(stream({ 'heuristic/second-opinion': 0.3 })).start();
    await add(400);
    const windows = await waitFor(
      async () => {
        const found = await assignments();
        return found.size === 80 ? found : undefined;
      },
      { timeoutMs: 15_000, description: '80 windows' },
    );
    for (const [windowId, models] of windows) {
      const expected = sampledIn('feed', windowId, compare, 0.3) ? ['mad', 'second-opinion'] : ['mad'];
      expect(models, windowId).toEqual(expected);
    }
    const compared = [...windows.values()].filter((models) => models.length === 2).length;
    expect(compared).toBeGreaterThan(8);
    expect(compared).toBeLessThan(45);
  });

  redisTest('takes up samples set while running (provider/model@share), with the targets', async () => {
    await start(stream()).start();
    await add(50);
    await waitFor(async () => (await assignments()).size === 10, { description: 'ten windows, both targets' });
    expect([...(await assignments()).values()].every((models) => models.length === 2)).toBe(true);

    await writeTargetOverride(redis, keys, 'feed', [main, compare], 'test', { 'heuristic/second-opinion': 0.25 });
    const changed = await waitFor(() => events.find((event) => event.type === 'stream.targets-changed'), {
      description: 'targets-changed event',
    });
    expect(changed.message).toContain(
      'heuristic/mad, heuristic/second-opinion@0.25 (was heuristic/mad, heuristic/second-opinion)',
    );
    await add(200);
    const windows = await waitFor(
      async () => {
        const found = await assignments();
        return found.size === 50 ? found : undefined;
      },
      { timeoutMs: 15_000, description: '50 windows' },
    );
    const later = [...windows.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).slice(10);
    for (const [windowId, models] of later)
      expect(models, windowId).toEqual(
        sampledIn('feed', windowId, compare, 0.25) ? ['mad', 'second-opinion'] : ['mad'],
      );
    expect(later.some(([, models]) => models.length === 1)).toBe(true);
  });
});
