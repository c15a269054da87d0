import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containerRuntimeAvailable } from './redis-container.js';
import { RedisServer, redisServerOnPath } from './redis-server.js';

describe('RedisServer', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('kills and restarts a real server on the same port, keeping the append-only file', async () => {
    const server = await RedisServer.start({ appendOnly: true });
    const client = server.client();
    try {
      await client.set('kept', 'yes');
      await server.kill();
      expect(server.running).toBe(false);
      await server.restart();
      expect(await client.get('kept')).toBe('yes');
    } finally {
      client.disconnect();
      await server.dispose();
    }
  });

  it('says how to get Redis when there is neither redis-server on PATH nor a container runtime', async () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'empty-path-'));
    expect(redisServerOnPath()).toBe(false);
    // a Docker engine would serve a container instead: nothing to check here
    if (await containerRuntimeAvailable()) return;
    await expect(RedisServer.start()).rejects.toThrow(
      'the tests need Redis: install redis-server (it must be on PATH) or run a Docker engine',
    );
  });
});
