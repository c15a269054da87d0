import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { OpsEvent, StreamStatus } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { listWindowJobs } from '@turbostream/queue';
import {
  AnalyzerPresence,
  clearTargetOverride,
  createKeyLayout,
  EventPublisher,
  type KeyLayout,
  writeTargetOverride,
} from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect } from 'vitest';
import { Windower } from './windower.js';

const logger = createLogger({ level: 'silent' });
const settings: WindowerSettings = { pollMs: 20, leaseMs: 2_000, maxQueued: 100_000, retentionMs: 3_600_000 };

function stream(targets: StreamConfig['targets']): StreamConfig {
  return {
    id: 'feed',
    source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'json' },
    window: { maxMessages: 5, maxBytes: 100_000, maxSeconds: 60 },
    targets,
    instructions: 'i',
  };
}

describe('Windower targets', () => {
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
    for (let index = 0; index < count; index += 1)
      await redis.xadd(
        keys.messages('feed'),
        '*',
        'kind',
        'message',
        'data',
        `{"n":${index}}`,
        'receivedAt',
        String(Date.now()),
      );
  }

  redisTest('analyses windows with targets set while running from the next window on, with no restart', async () => {
    const windower = new Windower({
      redis,
      keys,
      logger,
      events: new EventPublisher({ redis, keys, service: 'windower' }),
      streams: [stream([{ provider: 'heuristic', model: 'mad' }])],
      settings,
      owner: 'w1',
    });
    running.push(windower);
    await windower.start();
    await add(10);
    await waitFor(async () => (await listWindowJobs({ redis, keys, streamId: 'feed' })).length === 2, {
      description: 'two windows with the file target',
    });

    await writeTargetOverride(
      redis,
      keys,
      'feed',
      [
        { provider: 'openai', model: 'gpt-next' },
        { provider: 'heuristic', model: 'mad' },
      ],
      'test',
    );
    await waitFor(() => events.some((event) => event.type === 'stream.targets-changed'), {
      description: 'targets-changed event',
    });
    await add(10);
    await waitFor(
      async () =>
        (await listWindowJobs({ redis, keys, streamId: 'feed', providers: ['heuristic', 'openai'] })).length === 6,
      { description: 'two more windows, two targets each' },
    );

    const jobs = await listWindowJobs({ redis, keys, streamId: 'feed', providers: ['heuristic', 'openai'] });
    const byWindow = new Map<string, string[]>();
    for (const { job } of jobs)
      byWindow.set(
        job.window.windowId,
        [...(byWindow.get(job.window.windowId) ?? []), `${job.target.provider}/${job.target.model}`].sort(),
      );
    const assignments = [...byWindow.entries()]
      .sort(([left], [right]) => left.localeCompare(right, 'en', { numeric: true }))
      .map(([, names]) => names);
    expect(assignments).toEqual([
      ['heuristic/mad'],
      ['heuristic/mad'],
      ['heuristic/mad', 'openai/gpt-next'],
      ['heuristic/mad', 'openai/gpt-next'],
    ]);
    expect(events.find((event) => event.type === 'stream.targets-changed')?.message).toContain(
      'openai/gpt-next, heuristic/mad (was heuristic/mad)',
    );

    await clearTargetOverride(redis, keys, 'feed');
    await waitFor(() => events.filter((event) => event.type === 'stream.targets-changed').length === 2, {
      description: 'back to the file targets',
    });
  });

  redisTest(
    'reports a target provider that no live analyzer serves, with the variable that would configure it, and its ' +
      'return',
    async () => {
      const windower = new Windower({
        redis,
        keys,
        logger,
        events: new EventPublisher({ redis, keys, service: 'windower' }),
        streams: [
          stream([
            { provider: 'anthropic', model: 'claude-x' },
            { provider: 'heuristic', model: 'mad' },
          ]),
        ],
        settings,
        owner: 'w1',
        providerWatch: { intervalMs: 50, graceMs: 200 },
      });
      running.push(windower);
      const heuristic = new AnalyzerPresence({
        redis,
        keys,
        instanceId: 'a-heuristic',
        providers: ['heuristic'],
        concurrency: 1,
      });
      await heuristic.start();
      running.push(heuristic);
      await windower.start();
      await add(5);

      const unserved = await waitFor(() => events.find((event) => event.type === 'provider.unconfigured'), {
        timeoutMs: 5_000,
        description: 'provider.unconfigured event',
      });
      expect(unserved.streamId).toBe('feed');
      expect(unserved.message).toContain('no live analyzer serves provider anthropic');
      expect(unserved.message).toContain('ANTHROPIC_API_KEY');
      expect(events.filter((event) => event.type === 'provider.unconfigured')).toHaveLength(1);
      const status = StreamStatus.parse(JSON.parse((await redis.get(keys.streamStatus('feed'))) ?? 'null'));
      expect(status.unserved).toMatchObject([
        { provider: 'anthropic', model: 'claude-x', variables: ['ANTHROPIC_API_KEY'] },
      ]);
      expect(status.unserved[0]?.waiting).toBeGreaterThanOrEqual(1);

      const anthropic = new AnalyzerPresence({
        redis,
        keys,
        instanceId: 'a-anthropic',
        providers: ['anthropic'],
        concurrency: 1,
      });
      await anthropic.start();
      running.push(anthropic);
      await waitFor(() => events.some((event) => event.type === 'provider.available'), {
        timeoutMs: 5_000,
        description: 'provider.available event',
      });
      await waitFor(
        async () =>
          StreamStatus.parse(JSON.parse((await redis.get(keys.streamStatus('feed'))) ?? 'null')).unserved.length === 0,
        { description: 'status cleared' },
      );
    },
  );
});
