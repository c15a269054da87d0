import { RedisServer } from '@turbostream/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease } from './lease.js';

describe('Lease', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.dispose();
  });

  it('has one owner at a time and fails over when the owner stops renewing', async () => {
    const a = new Lease({ redis, key: 'lease:1', owner: 'a', ttlMs: 200 });
    const b = new Lease({ redis, key: 'lease:1', owner: 'b', ttlMs: 200 });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
    await a.release();
    expect(await redis.get('lease:1')).toBe('b');
    await b.release();
    expect(await redis.get('lease:1')).toBeNull();
  });
});
