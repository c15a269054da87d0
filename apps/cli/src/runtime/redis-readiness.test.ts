import { connectRedis } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect, it } from 'vitest';
import { redisReadiness } from './redis-readiness.js';

describe('redisReadiness', () => {
  redisTest(
    'passes while the connection answers PING, fails at once while it is down, and passes again after',
    async ({ server }) => {
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
        await server.restart(); // the file's server, if the test failed while it was down
      }
    },
  );

  it('fails when PING is answered with something else', async () => {
    await expect(redisReadiness({ status: 'ready', ping: async () => 'LOADING' })()).rejects.toThrow(
      'redis answered "LOADING" to PING',
    );
  });
});
