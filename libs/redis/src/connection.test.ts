import { inspect } from 'node:util';
import { RedisCluster, RedisServer, redisServerOnPath } from '@turbostream/testkit';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, redactRedisUrl } from './connection.js';

const PASSWORD = 'p@ss:w/rd';
const encoded = encodeURIComponent(PASSWORD);

/**
 * A local cluster needs redis-server and redis-cli on PATH (`redis-cli --cluster create`); a Docker-only machine skips
 * it, saying so.
 */
const clusterReason = redisServerOnPath()
  ? ''
  : ' (skipped: needs redis-server and redis-cli on PATH to build a local cluster)';

describe.skipIf(clusterReason !== '')(`connectRedis${clusterReason}`, () => {
  let server: RedisServer;
  let cluster: RedisCluster;
  // Not the redisTest fixture: this server gets a password (requirepass), and the file needs a cluster next to it.
  beforeAll(async () => {
    [server, cluster] = await Promise.all([
      RedisServer.start(),
      RedisCluster.start({ masters: 3, password: PASSWORD }),
    ]);
    const admin = server.client();
    await admin.config('SET', 'requirepass', PASSWORD);
    admin.disconnect();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.dispose(), cluster?.dispose()]);
  });

  it('opens one server with the password of the URL, named, retrying commands forever by default', async () => {
    const redis = connectRedis({ url: `redis://:${encoded}@127.0.0.1:${server.port}`, name: 'turbostream:test' });
    try {
      expect(redis).toBeInstanceOf(Redis);
      expect(redis).not.toBeInstanceOf(Cluster);
      expect(await redis.ping()).toBe('PONG');
      expect(String(await redis.client('LIST'))).toContain('name=turbostream:test');
      expect(redis instanceof Redis && redis.options.maxRetriesPerRequest).toBeNull();
    } finally {
      await closeRedis(redis);
    }
  });

  it('fails fast with a wrong password when told to give up', async () => {
    const redis = connectRedis({
      url: `redis://:wrong@127.0.0.1:${server.port}`,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      maxReconnectAttempts: 0,
    });
    const errors: Error[] = [];
    redis.on('error', (error: Error) => errors.push(error));
    try {
      await expect(redis.connect().then(() => redis.ping())).rejects.toThrow();
      expect(errors.map((error) => error.message).join('\n')).toMatch(/WRONGPASS/);
    } finally {
      redis.disconnect();
    }
  });

  it(
    'reports a refused password without it: the error event, the rejected commands, a duplicate (BullMQ ' +
      'blocking connections)',
    async () => {
      const secret = 'wrong-S3cret-pw';
      const redis = connectRedis({
        url: `redis://app:${secret}@127.0.0.1:${server.port}`,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        maxReconnectAttempts: 0,
      });
      const duplicate = redis.duplicate();
      const reported: unknown[] = [];
      for (const client of [redis, duplicate]) client.on('error', (error: unknown) => reported.push(error));
      try {
        for (const client of [redis, duplicate])
          reported.push(
            await client
              .connect()
              .then(() => client.ping())
              .catch((error: unknown) => error),
          );
        const shown = inspect(reported, { depth: 10 });
        expect(shown).toContain('WRONGPASS');
        expect(shown).toContain("args: [ '****', '****' ]");
        expect(shown).not.toContain(secret);
      } finally {
        redis.disconnect();
        duplicate.disconnect();
      }
    },
  );

  it('reports a cluster refusing the password without it, from every node', async () => {
    const secret = 'wrong-S3cret-pw';
    const urls = cluster.urls.map((url) => Object.assign(new URL(url), { password: secret }).toString());
    const redis = connectRedis({
      url: urls[0] ?? '',
      nodes: urls,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      maxReconnectAttempts: 0,
    });
    const reported: unknown[] = [];
    redis.on('error', (error: unknown) => reported.push(error));
    redis.on('node error', (error: unknown) => reported.push(error));
    try {
      reported.push(
        await redis
          .connect()
          .then(() => redis.ping())
          .catch((error: unknown) => error),
      );
      const shown = inspect(reported, { depth: 10 });
      expect(shown).toContain('WRONGPASS');
      expect(shown).not.toContain(secret);
    } finally {
      redis.disconnect();
    }
  });

  it(
    'opens a cluster from one seed URL: every node, discovered ones included, gets the password and the ' + 'name',
    async () => {
      const [seed] = cluster.urls;
      if (!seed) throw new Error('no seed');
      const redis = connectRedis({ url: seed, cluster: true, name: 'turbostream:cluster-test' });
      try {
        expect(redis).toBeInstanceOf(Cluster);
        for (let index = 0; index < 60; index += 1) await redis.set(`key:${index}`, String(index));
        expect(await redis.get('key:59')).toBe('59');
        // The keys spread over every master, so the client authenticated on all of them.
        const masters = redis instanceof Cluster ? redis.nodes('master') : [];
        expect(masters).toHaveLength(3);
        for (const node of masters) {
          expect(await node.dbsize()).toBeGreaterThan(0);
          expect(String(await node.client('LIST'))).toContain('name=turbostream:cluster-test');
        }
      } finally {
        await closeRedis(redis);
      }
    },
  );

  it('opens a cluster when several node URLs are given, without the flag', async () => {
    const redis = connectRedis({ url: cluster.urls[0] ?? '', nodes: cluster.urls });
    try {
      expect(redis).toBeInstanceOf(Cluster);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await closeRedis(redis);
    }
  });

  it(
    'gives every cluster node the TLS, user and password of a rediss:// URL, and keeps host names for ' +
      'certificates',
    () => {
      const redis = connectRedis({
        url: 'rediss://app:s%3Acret@redis-1.example.com:6380',
        cluster: true,
        lazyConnect: true,
        maxRetriesPerRequest: 3,
      });
      try {
        if (!(redis instanceof Cluster)) throw new Error('expected a Cluster');
        expect(redis.options.redisOptions).toMatchObject({
          tls: {},
          username: 'app',
          password: 's:cret',
          maxRetriesPerRequest: 3,
        });
        expect(redis.options.enableReadyCheck).toBe(true);
        const lookup = redis.options.dnsLookup;
        let resolved: string | undefined;
        lookup?.('redis-1.example.com', (_error, address) => {
          resolved = address;
        });
        expect(resolved).toBe('redis-1.example.com');
        expect(redis.options.clusterRetryStrategy?.(1)).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    },
  );

  it('hides passwords in one URL and in a list of node URLs', () => {
    expect(redactRedisUrl('rediss://app:secret@host:6380')).toBe('rediss://app:****@host:6380');
    expect(redactRedisUrl('redis://:a@h1:1,redis://:b@h2:2')).toBe('redis://:****@h1:1,redis://:****@h2:2');
  });
});
