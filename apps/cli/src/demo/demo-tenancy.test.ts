import { spawnSync } from 'node:child_process';
import { queueOptions } from '@turbostream/queue';
import { closeRedis, connectRedis, createKeyLayout, type KeyLayout, type RedisClient } from '@turbostream/redis';
import { RedisCluster, redisServerOnPath, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  claimDemo,
  type DemoClaim,
  type DemoClaimEvent,
  type DemoHolder,
  demoAlreadyRunning,
  NamespaceExpiry,
  thisProcess,
} from './demo-tenancy.js';

const DAY_MS = 24 * 3600_000;
const holderA: DemoHolder = { host: 'host-a', pid: 101, startedAt: '2025-01-01T00:00:00.000Z', cwd: '/work/a' };
const holderB: DemoHolder = { host: 'host-b', pid: 202, startedAt: '2025-01-02T00:00:00.000Z' };

/** Claimed, or the test fails here. */
async function claimed(...args: Parameters<typeof claimDemo>): Promise<DemoClaim> {
  const result = await claimDemo(...args);
  if (!result.claimed) throw new Error(`expected the claim, but ${JSON.stringify(result.holder)} holds it`);
  return result.claim;
}

// The namespaces (turbostream-demo, turbostream) are what these tests are about: fixed ones, on the file's server,
// flushed between tests.
describe('claimDemo', () => {
  let redis: Redis;
  const keys = createKeyLayout('turbostream-demo');
  const claims: DemoClaim[] = [];
  redisTest.beforeEach(({ redis: client }) => {
    redis = client;
  });
  afterEach(async () => {
    await Promise.all(claims.splice(0).map((claim) => claim.release()));
    await redis.flushall();
  });

  redisTest('lets one demo at a time run in a namespace, and tells the second who holds it', async () => {
    const first = await claimed(redis, keys, holderA);
    claims.push(first);
    const second = await claimDemo(redis, keys, holderB);
    expect(second).toEqual({ claimed: false, holder: holderA });
    expect(demoAlreadyRunning(second.claimed ? undefined : second.holder, keys)).toBe(
      'a TurboStream demo is already running on this Redis (pid 101 on host-a since 2025-01-01T00:00:00.000Z, in ' +
        '/work/a); its alerts are on turbostream-demo:alerts',
    );
    // another namespace is another claim
    claims.push(await claimed(redis, createKeyLayout('turbostream'), holderB));

    await first.release();
    expect(await redis.exists(keys.demoLease)).toBe(0);
    claims.push(await claimed(redis, keys, holderB));
    // a stale holder's release leaves the new holder's lease alone
    await first.release();
    expect(await claimDemo(redis, keys, holderA)).toEqual({ claimed: false, holder: holderB });
  });

  redisTest(
    'takes over at once the lease of a demo of this machine that was killed, but not that of a live one or of ' +
      'another machine',
    async () => {
      const { pid } = spawnSync(process.execPath, ['-e', '0']);
      const dead: DemoHolder = { ...thisProcess(), pid: pid ?? 2 ** 22 + 17 };
      await redis.set(keys.demoLease, JSON.stringify({ ...dead, token: 'killed' }), 'PX', 60_000);
      const taken = await claimed(redis, keys, holderB);
      claims.push(taken);
      expect(JSON.parse((await redis.get(keys.demoLease)) ?? '{}')).toMatchObject(holderB);
      await taken.release();

      const live: DemoHolder = { ...thisProcess(), pid: process.ppid };
      await redis.set(keys.demoLease, JSON.stringify({ ...live, token: 'live' }), 'PX', 60_000);
      expect(await claimDemo(redis, keys, holderB)).toEqual({ claimed: false, holder: live });
      const elsewhere: DemoHolder = { ...dead, host: `not-${dead.host}` };
      await redis.set(keys.demoLease, JSON.stringify({ ...elsewhere, token: 'remote' }), 'PX', 60_000);
      expect(await claimDemo(redis, keys, holderB)).toEqual({ claimed: false, holder: elsewhere });
    },
  );

  redisTest('keeps the lease while renewing, and frees it once its holder stops renewing', async () => {
    claims.push(await claimed(redis, keys, holderA, { ttlMs: 300, renewEveryMs: 40 }));
    // several lease TTLs later the renewed lease is still held (absence of a change: this has to take time)
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await claimDemo(redis, keys, holderB)).toEqual({ claimed: false, holder: holderA });

    // a holder that was SIGKILLed: its lease is there but nobody renews it
    await redis.flushall();
    await redis.set(keys.demoLease, JSON.stringify({ ...holderA, token: 'dead' }), 'PX', 200);
    expect(await claimDemo(redis, keys, holderB)).toEqual({ claimed: false, holder: holderA });
    const next = await waitFor(async () => {
      const result = await claimDemo(redis, keys, holderB);
      return result.claimed ? result.claim : undefined;
    });
    claims.push(next);
    expect(JSON.parse((await redis.get(keys.demoLease)) ?? '{}')).toMatchObject(holderB);
  });

  redisTest('says when another demo took the lease after it lapsed, and stops renewing', async () => {
    const events: DemoClaimEvent[] = [];
    const claim = await claimed(redis, keys, holderA, {
      ttlMs: 1_000,
      renewEveryMs: 30,
      onEvent: (event) => events.push(event),
    });
    claims.push(claim);
    await redis.del(keys.demoLease);
    await redis.set(keys.demoLease, JSON.stringify({ ...holderB, token: 'b' }), 'PX', 10_000);
    await waitFor(() => events.length > 0);
    expect(events).toEqual([{ type: 'taken', holder: holderB }]);
    expect(JSON.parse((await redis.get(keys.demoLease)) ?? '{}')).toMatchObject({ token: 'b' });
  });

  redisTest('describes this process', () => {
    expect(thisProcess()).toMatchObject({ pid: process.pid, cwd: process.cwd() });
    expect(demoAlreadyRunning(undefined, keys)).toBe(
      'a TurboStream demo is already running on this Redis; its alerts are on turbostream-demo:alerts',
    );
  });
});

describe('claimDemo when Redis goes away', () => {
  redisTest('reports the lapse without throwing, and takes the lease back when Redis returns', async ({ server }) => {
    const redis = connectRedis({ url: server.url });
    redis.on('error', () => {});
    const keys = createKeyLayout('turbostream-demo');
    const events: DemoClaimEvent[] = [];
    try {
      const claim = await claimed(redis, keys, holderA, {
        ttlMs: 300,
        renewEveryMs: 50,
        onEvent: (event) => events.push(event),
      });
      await server.kill(); // no save: the lease is gone with the data
      await waitFor(() => events.some((event) => event.type === 'unconfirmed'), { description: 'unconfirmed' });
      await server.restart();
      await waitFor(() => events.some((event) => event.type === 'restored'), { description: 'restored' });
      expect(events.map((event) => event.type)).toEqual(['unconfirmed', 'restored']);
      expect(JSON.parse((await redis.get(keys.demoLease)) ?? '{}')).toMatchObject(holderA);
      await claim.release();
      expect(await redis.exists(keys.demoLease)).toBe(0);
    } finally {
      await closeRedis(redis);
      await server.restart(); // the file's server, if the test failed while it was down
    }
  });
});

/**
 * A namespace's keys as a short demo run leaves them: a message stream, stream
 * state, the alert and event logs, a seen marker (7-day TTL of its own), BullMQ
 * keys of a real queue with a job, and short-lived leases.
 */
async function writeNamespace(redis: RedisClient, connection: Redis, keys: KeyLayout): Promise<string[]> {
  await redis.xadd(keys.messages('demo-market'), '*', 'data', '{}');
  await redis.hset(keys.stats('demo-market'), 'received', '1');
  await redis.hset(keys.windowState('demo-market'), 'last', '1-0');
  await redis.xadd(keys.alertLog, '*', 'alert', '{}');
  await redis.xadd(keys.eventLog, '*', 'event', '{}');
  await redis.xadd(keys.deadLetters, '*', 'reason', 'binary');
  await redis.set(keys.alertSeen('alert-1'), '1', 'EX', 7 * 24 * 3600);
  await redis.hset(keys.analyzers, 'analyzer-1', '{}');
  await redis.zadd(keys.providerAnalyzers('heuristic'), Date.now(), 'analyzer-1');
  const queue = new Queue('analysis-heuristic', { connection, ...queueOptions(keys) });
  await queue.add('window', { streamId: 'demo-market' });
  await queue.close();
  return [
    keys.messages('demo-market'),
    keys.stats('demo-market'),
    keys.windowState('demo-market'),
    keys.alertLog,
    keys.eventLog,
    keys.deadLetters,
    keys.alertSeen('alert-1'),
    keys.analyzers,
    keys.providerAnalyzers('heuristic'),
    `${keys.queuePrefix}:analysis-heuristic:1`,
    `${keys.queuePrefix}:analysis-heuristic:id`,
  ];
}

/** Every key's remaining time to live in ms (-1: none). */
async function ttls(redis: RedisClient, names: readonly string[]): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await redis.pttl(name)] as const)));
}

const aboutADay = (ttl: number) => ttl > DAY_MS - 60_000 && ttl <= DAY_MS;

/** The keys of `after` whose expiry changed since `before` (beyond the time the test took), with both values. */
function unchanged(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, [number | undefined, number]> {
  const same = (was: number | undefined, now: number) =>
    was === -1 ? now === -1 : was !== undefined && now <= was && now > was - 60_000;
  return Object.fromEntries(
    Object.entries(after).flatMap(([key, now]) => (same(before[key], now) ? [] : [[key, [before[key], now]]])),
  );
}

describe('NamespaceExpiry', () => {
  let redis: Redis;
  let queueConnection: Redis;
  const demo = createKeyLayout('turbostream-demo');
  const production = createKeyLayout('turbostream');
  const keepers: NamespaceExpiry[] = [];
  redisTest.beforeAll(({ server }) => {
    queueConnection = server.client();
  });
  redisTest.beforeEach(async ({ redis: client }) => {
    redis = client;
    await redis.flushall();
  });
  afterEach(async () => {
    await Promise.all(keepers.splice(0).map((keeper) => keeper.stop()));
  });
  afterAll(() => {
    queueConnection.disconnect();
  });

  redisTest('gives every key of its namespace a day and touches no other key', async () => {
    const demoKeys = await writeNamespace(redis, queueConnection, demo);
    const productionKeys = await writeNamespace(redis, queueConnection, production);
    await redis.set(demo.demoLease, 'holder', 'PX', 15_000);
    await redis.set(demo.providerCooldown('heuristic'), '1', 'PX', 60_000);
    await redis.mset('unrelated', '1', 'bull:analysis-heuristic:1', '1', '{turbostream-demo', '1');
    const allKeys = await redis.keys('*');
    expect(allKeys).toEqual(
      expect.arrayContaining([
        '{turbostream-demo}:analysis-heuristic:1',
        '{turbostream}:analysis-heuristic:1',
        '{turbostream-demo:alerts:log}:seen:alert-1',
      ]),
    );

    const before = await ttls(redis, allKeys);
    const keeper = new NamespaceExpiry({ redis, keys: demo, everyMs: 60_000 });
    keepers.push(keeper);
    const touched = await keeper.start();

    const demoAll = allKeys.filter((key) =>
      ['turbostream-demo:', '{turbostream-demo}:', '{turbostream-demo:alerts:log}:seen:'].some((prefix) =>
        key.startsWith(prefix),
      ),
    );
    expect(demoAll).toEqual(expect.arrayContaining(demoKeys));
    expect(touched).toBe(demoAll.length - 2); // all but the lease and the cooldown
    for (const [key, ttl] of Object.entries(await ttls(redis, demoAll))) {
      if (key === demo.demoLease) expect(ttl, key).toBeLessThanOrEqual(15_000);
      else if (key === demo.providerCooldown('heuristic')) expect(ttl, key).toBeLessThanOrEqual(60_000);
      else expect(aboutADay(ttl), `${key}: ${ttl}`).toBe(true);
    }
    const others = allKeys.filter((key) => !demoAll.includes(key));
    expect(others).toEqual(
      expect.arrayContaining([...productionKeys, 'unrelated', 'bull:analysis-heuristic:1', '{turbostream-demo']),
    );
    expect(unchanged(before, await ttls(redis, others))).toEqual({});
  });

  redisTest('in the other direction: the production namespace leaves the demo alone', async () => {
    const demoKeys = await writeNamespace(redis, queueConnection, demo);
    const productionKeys = await writeNamespace(redis, queueConnection, production);
    const before = await ttls(redis, demoKeys);
    await new NamespaceExpiry({ redis, keys: production }).pass();
    expect(Object.values(await ttls(redis, productionKeys)).every(aboutADay)).toBe(true);
    expect(unchanged(before, await ttls(redis, demoKeys))).toEqual({});
  });

  redisTest('refreshes the day on every pass and catches new keys, until stopped', async () => {
    const keeper = new NamespaceExpiry({ redis, keys: demo, everyMs: 30 });
    keepers.push(keeper);
    await writeNamespace(redis, queueConnection, demo);
    await keeper.start();
    // an older pass's expiry, running down: refreshed
    await redis.pexpire(demo.alertLog, DAY_MS - 3600_000);
    // written after the first pass: caught by a later one
    await redis.xadd(demo.messages('other-stream'), '*', 'data', '{}');
    await waitFor(
      async () =>
        aboutADay(await redis.pttl(demo.alertLog)) && aboutADay(await redis.pttl(demo.messages('other-stream'))),
      {
        description: 'refreshed and new keys with a day to live',
      },
    );

    await redis.set(demo.windowLease('late'), 'x'); // written while shutting down: the last pass gets it
    await keeper.stop();
    keepers.splice(0);
    expect(aboutADay(await redis.pttl(demo.windowLease('late')))).toBe(true);
    await redis.set(demo.streamTargets, '{}');
    await new Promise((resolve) => setTimeout(resolve, 150)); // several former intervals: no pass runs any more
    expect(await redis.pttl(demo.streamTargets)).toBe(-1);
  });

  redisTest('pipelines keys in batches', async () => {
    const many = Array.from({ length: 1_234 }, (_, index) => demo.stats(`s${index}`));
    await redis.mset(...many.flatMap((key) => [key, '1']));
    expect(await new NamespaceExpiry({ redis, keys: demo, batchSize: 100 }).pass()).toBeGreaterThanOrEqual(many.length);
    expect(Object.values(await ttls(redis, many)).every(aboutADay)).toBe(true);
  });
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
  let queueConnection: RedisClient;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
    redis = connectRedis({ url: cluster.seedUrl, cluster: true });
    queueConnection = connectRedis({ url: cluster.seedUrl, cluster: true });
    await waitFor(() => redis.status === 'ready');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([redis && closeRedis(redis), queueConnection && closeRedis(queueConnection)]);
    await cluster?.dispose();
  });

  it('claims, and gives the keys on every master a day', async () => {
    const demo = createKeyLayout('turbostream-demo');
    const claim = await claimed(redis, demo, holderA);
    expect(await claimDemo(redis, demo, holderB)).toEqual({ claimed: false, holder: holderA });
    await claim.release();

    const streams = Array.from({ length: 12 }, (_, index) => demo.messages(`s${index}`));
    for (const key of streams) await redis.xadd(key, '*', 'data', '{}');
    await redis.set(createKeyLayout('turbostream').messages('s1'), '1');
    const slots = new Set(
      await Promise.all(streams.map(async (key) => Number(await redis.call('CLUSTER', 'KEYSLOT', key)))),
    );
    expect(slots.size).toBeGreaterThan(1);
    const keysPerMaster = await Promise.all((redis as Cluster).nodes('master').map((node) => node.dbsize()));
    expect(keysPerMaster.filter((count) => count > 0).length, 'masters holding keys').toBeGreaterThan(1);
    const seen = demo.alertSeen('a1');
    await redis.set(seen, '1');
    const queue = new Queue('analysis-heuristic', { connection: queueConnection, ...queueOptions(demo) });
    await queue.add('window', {});
    await queue.close();

    await new NamespaceExpiry({ redis, keys: demo, batchSize: 5 }).pass();
    expect(
      Object.values(await ttls(redis, [...streams, seen, `${demo.queuePrefix}:analysis-heuristic:1`])).every(aboutADay),
    ).toBe(true);
    expect(await redis.pttl(createKeyLayout('turbostream').messages('s1'))).toBe(-1);
  });
});
