import { connectRedis } from '@turbostream/redis';
import { RedisServer, waitFor } from '@turbostream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisReadiness } from './redis-readiness.js';

describe('redisReadiness', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('passes while the connection answers PING, fails at once while it is down, and passes again after', async () => {
    const redis = connectRedis({ url: server.url, name: 'readiness-test' });
    redis.on('error', () => {});
    try {
      const check = redisReadiness(redis);
      await waitFor(() => redis.status === 'ready', { description: 'connection ready' });
      await expect(check()).resolves.toBeUndefined();
      await server.kill();
      await waitFor(() => redis.status !== 'ready', { description: 'connection lost' });
      await expect(check()).rejects.toThrow(/redis connection is (connecting|reconnecting|close|end)/);
      await server.restart();
      await waitFor(
        async () => {
          await check();
          return true;
        },
        { timeoutMs: 20_000, description: 'check passing after restart' },
      );
    } finally {
      redis.disconnect();
    }
  });

  it('fails when PING is answered with something else', async () => {
    await expect(redisReadiness({ status: 'ready', ping: async () => 'LOADING' })()).rejects.toThrow('redis answered "LOADING" to PING');
  });
});
