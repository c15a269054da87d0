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
});
