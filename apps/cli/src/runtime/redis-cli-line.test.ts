import { describe, expect, it } from 'vitest';
import { redisCliSubscribe } from './redis-cli-line.js';

describe('redisCliSubscribe', () => {
  it('names the port only when it is not 6379, and the host only when it is not this machine', () => {
    expect(redisCliSubscribe('redis://127.0.0.1:6380', 'turbostream:alerts')).toEqual({
      command: 'redis-cli -p 6380 SUBSCRIBE turbostream:alerts',
    });
    expect(redisCliSubscribe('redis://127.0.0.1:6379', 'turbostream:alerts')).toEqual({
      command: 'redis-cli SUBSCRIBE turbostream:alerts',
    });
    expect(redisCliSubscribe('redis://localhost', 'turbostream:alerts')).toEqual({
      command: 'redis-cli SUBSCRIBE turbostream:alerts',
    });
    expect(redisCliSubscribe('redis://cache.internal:6379/2', 'tenant:alerts')).toEqual({
      command: 'redis-cli -h cache.internal SUBSCRIBE tenant:alerts',
    });
    expect(redisCliSubscribe('redis://[::1]:7000', 'turbostream:alerts').command).toBe(
      'redis-cli -p 7000 SUBSCRIBE turbostream:alerts',
    );
  });

  it('never prints a password: -a **** with a note saying what to put there', () => {
    const line = redisCliSubscribe('rediss://alice:s3cret-pw@redis.example.com:6380', 'turbostream:alerts');
    expect(line.command).toBe(
      'redis-cli -h redis.example.com -p 6380 --tls --user alice -a **** SUBSCRIBE turbostream:alerts',
    );
    expect(line.note).toBe('replace **** with the password in REDIS_URL');
    expect(JSON.stringify(line)).not.toContain('s3cret');
    expect(redisCliSubscribe('redis://:hunter2@127.0.0.1:6379', 'turbostream:alerts').command).toBe(
      'redis-cli -a **** SUBSCRIBE turbostream:alerts',
    );
  });
});
