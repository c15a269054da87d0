/**
 * Every multi-key operation of this library against a real 3-master Redis
 * Cluster: scripts, transactions and pipelines must keep their keys in one
 * slot (or be split), or the cluster refuses them with CROSSSLOT.
 */
import type { Alert } from '@turbostream/contracts';
import { RedisCluster, waitFor, redisServerOnPath } from '@turbostream/testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertPublisher } from './alert-publisher.js';
import { AnalyzerPresence, liveAnalyzers, listAnalyzers } from './analyzer-presence.js';
import { closeRedis, connectRedis, type RedisClient } from './connection.js';
import { EventPublisher } from './event-publisher.js';
import { createKeyLayout, type KeyLayout } from './keys.js';
import { Lease } from './lease.js';
import { serverTime } from './server-time.js';
import { clearTargetOverride, readTargetOverride, writeTargetOverride } from './stream-targets.js';

const alert = (id: string, streamId: string): Alert => ({
  v: 1,
  id,
  streamId,
  windowId: '1-0',
  severity: 'warning',
  title: 'title',
  summary: 'summary',
  evidence: ['1-0'],
  provider: 'heuristic',
  model: 'heuristic',
  window: { messages: 1, from: '1-0', to: '1-0' },
  timings: { queuedMs: 0, ttftMs: 1, totalMs: 1 },
  usage: { inputTokens: 1, outputTokens: 1, costUsd: null },
  createdAt: new Date(0).toISOString(),
});

/**
 * A local cluster needs redis-server and redis-cli on PATH (`redis-cli --cluster create`); a Docker-only machine skips
 * it, saying so.
 */
const clusterReason = redisServerOnPath()
  ? ''
  : ' (skipped: needs redis-server and redis-cli on PATH to build a local cluster)';

describe.skipIf(clusterReason !== '')(`on a Redis Cluster${clusterReason}`, () => {
  let cluster: RedisCluster;
  let redis: RedisClient;
  let subscriber: RedisClient;
  let keys: KeyLayout;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
    redis = connectRedis({ url: cluster.seedUrl, cluster: true });
    subscriber = connectRedis({ url: cluster.seedUrl, nodes: cluster.urls });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([redis && closeRedis(redis), subscriber && closeRedis(subscriber)]);
    await cluster?.dispose();
  });
  beforeEach(() => {
    keys = createKeyLayout(`t${Math.random().toString(36).slice(2, 8)}`);
  });

  const slotOf = async (key: string) => Number(await redis.call('CLUSTER', 'KEYSLOT', key));

  it(
    'keeps each stream, the alert log and every queue in one slot each, and spreads streams over the ' + 'cluster',
    async () => {
      const streamSlots = new Set<number>();
      for (const streamId of ['btc', 'eth', 'sol', 'doge', 'ada', 'xrp']) {
        const slots = new Set(
          await Promise.all(
            [keys.messages, keys.stats, keys.windowState, keys.windowLease, keys.streamStatus].map((key) =>
              slotOf(key(streamId)),
            ),
          ),
        );
        expect(slots.size).toBe(1);
        streamSlots.add([...slots][0] ?? -1);
      }
      expect(streamSlots.size).toBeGreaterThan(1);
      expect(await slotOf(keys.alertSeen('a-1'))).toBe(await slotOf(keys.alertLog));
      const queueKeys = ['wait', 'active', 'meta', 'id', 'events', 'completed', 'stalled-check'].map(
        (suffix) => `${keys.queuePrefix}:analysis-openai:${suffix}`,
      );
      const otherQueue = `${keys.queuePrefix}:analysis-anthropic:wait`;
      expect(new Set(await Promise.all([...queueKeys, otherQueue].map(slotOf))).size).toBe(1);
    },
  );

  it('publishes an alert once (script on the log slot), to subscribers of any node', async () => {
    const received: string[] = [];
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.alertsChannel) received.push(message);
    });
    await subscriber.subscribe(keys.alertsChannel);
    const publisher = new AlertPublisher({ redis, keys });
    expect(await publisher.publish(alert('a-1', 'btc'))).toBe(true);
    expect(await publisher.publish(alert('a-1', 'btc'))).toBe(false);
    expect(await publisher.publish(alert('a-2', 'eth'))).toBe(true);
    expect(await redis.xlen(keys.alertLog)).toBe(2);
    await waitFor(() => received.length === 2, { timeoutMs: 5_000, description: 'two alerts on the channel' });
    expect(received.map((json) => (JSON.parse(json) as { id: string }).id)).toEqual(['a-1', 'a-2']);
    await subscriber.unsubscribe(keys.alertsChannel);
  });

  it('holds, renews and releases a stream lease', async () => {
    const a = new Lease({ redis, key: keys.windowLease('btc'), owner: 'a', ttlMs: 5_000 });
    const b = new Lease({ redis, key: keys.windowLease('btc'), owner: 'b', ttlMs: 5_000 });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    await a.release();
    expect(await b.acquire()).toBe(true);
  });

  it('logs and publishes events in one transaction', async () => {
    const errors: unknown[] = [];
    const events = new EventPublisher({ redis, keys, service: 'test', onError: (error) => errors.push(error) });
    await events.publish({ type: 'deadletter', message: 'hello', streamId: 'btc' });
    expect(errors).toEqual([]);
    expect(await redis.xlen(keys.eventLog)).toBe(1);
  });

  it('beats and leaves for several providers, whose sets live in different slots', async () => {
    const providers = ['openai', 'anthropic', 'gemini', 'heuristic'] as const;
    expect(
      new Set(await Promise.all(providers.map((provider) => slotOf(keys.providerAnalyzers(provider))))).size,
    ).toBeGreaterThan(1);
    const presence = new AnalyzerPresence({
      redis,
      keys,
      instanceId: 'analyzer-1',
      providers,
      concurrency: 2,
      clock: () => 1_000_000,
    });
    await presence.beat();
    for (const provider of providers)
      expect(await liveAnalyzers(redis, keys, provider, 1_000_000)).toEqual(['analyzer-1']);
    expect((await listAnalyzers(redis, keys)).map((info) => info.instanceId)).toEqual(['analyzer-1']);
    await presence.close();
    for (const provider of providers) expect(await liveAnalyzers(redis, keys, provider, 1_000_000)).toEqual([]);
    expect(await listAnalyzers(redis, keys)).toEqual([]);
  });

  it('reads the clock of the node that holds a stream', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    const key = keys.messages('btc');
    const before = Date.now();
    const [time, id] = await Promise.all([serverTime(redis, key), redis.xadd(key, '*', 'kind', 'message')]);
    expect(Math.abs(time - before)).toBeLessThan(60_000);
    expect(Number(id?.split('-')[0])).toBeGreaterThanOrEqual(time);
  });

  it('sets and clears a stream target override', async () => {
    await writeTargetOverride(redis, keys, 'btc', [{ provider: 'heuristic', model: 'heuristic' }], 'test');
    expect((await readTargetOverride(redis, keys, 'btc'))?.targets).toEqual([
      { provider: 'heuristic', model: 'heuristic' },
    ]);
    expect(await clearTargetOverride(redis, keys, 'btc')).toBe(true);
  });
});
