import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { Lease } from './lease.js';

describe('Lease', () => {
  redisTest('has one owner at a time and fails over when the owner stops renewing', async ({ redis, namespace }) => {
    const key = `${namespace}:lease:1`;
    const a = new Lease({ redis, key, owner: 'a', ttlMs: 200 });
    const b = new Lease({ redis, key, owner: 'b', ttlMs: 200 });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    await waitFor(async () => (await redis.exists(key)) === 0, {
      timeoutMs: 2_000,
      description: "a's lease to expire",
    });
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
    await a.release();
    expect(await redis.get(key)).toBe('b');
    await b.release();
    expect(await redis.get(key)).toBeNull();
  });

  redisTest(
    "renews with one Redis command, and a standby's attempts never extend the owner's lease",
    async ({ redis, namespace }) => {
      const key = `${namespace}:lease:2`;
      const owner = new Lease({ redis, key, owner: 'a', ttlMs: 60_000 });
      const standby = new Lease({ redis, key, owner: 'b', ttlMs: 60_000 });
      expect(await owner.acquire()).toBe(true);
      await redis.pexpire(key, 5_000);
      expect(await standby.acquire()).toBe(false);
      expect(await redis.pttl(key)).toBeLessThanOrEqual(5_000);

      await redis.config('RESETSTAT');
      expect(await owner.renew()).toBe(true);
      const stats = await redis.info('commandstats');
      // Every command Redis ran for it, those a script runs included (RESETSTAT and INFO are the test's own).
      const calls = [...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
        .filter(([, name]) => name !== 'config|resetstat' && name !== 'info')
        .reduce((sum, [, , count]) => sum + Number(count), 0);
      expect(calls).toBe(1);
      expect(await redis.pttl(key)).toBeGreaterThan(5_000);
    },
  );
});
