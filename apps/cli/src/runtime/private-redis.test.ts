import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisServerOnPath } from '@turbostream/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { portFree } from './ports.js';
import { PrivateRedis, PrivateRedisError } from './private-redis.js';
import { probeRedis, processAlive } from './redis-probe.js';

/** Two adjacent ports that are free now. */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65_535 && (await portFree(port + 1))) return port;
  }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe.skipIf(!redisServerOnPath())('PrivateRedis', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbostream-private-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const started = async (options: Parameters<typeof PrivateRedis.start>[0]) => {
    const redis = await PrivateRedis.start(options);
    cleanups.push(() => processAlive(redis.pid) && process.kill(redis.pid, 'SIGKILL'));
    return redis;
  };

  it(
    'takes the next port of its range when the first is in use, runs in a process group of its own, and keeps ' +
      'its data across a stop',
    async () => {
      const first = await twoFreePorts();
      const taken = await occupy(first);
      cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
      const dir = dataDir();

      const redis = await started({ dir, ports: { first, last: first + 1 } });
      expect(redis.port).toBe(first + 1);
      expect(redis.reused).toBe(false);
      expect((await probeRedis(redis.url, 1_000))?.pid).toBe(redis.pid);
      // Its own process group: a Ctrl-C at the terminal (SIGINT to the foreground group) does not reach it.
      const group = spawnSync('ps', ['-o', 'pgid=', '-p', String(redis.pid)], { encoding: 'utf8' });
      if (group.status === 0) expect(Number(group.stdout.trim())).toBe(redis.pid);

      const client = new Redis(redis.url);
      await client.set('kept', 'yes');
      client.disconnect();
      expect(await redis.stop()).toBe(true);
      expect(processAlive(redis.pid)).toBe(false);

      const again = await started({ dir, ports: { first: first + 1, last: first + 1 } });
      const reader = new Redis(again.url);
      expect(await reader.get('kept')).toBe('yes');
      reader.disconnect();
      expect(await again.stop()).toBe(true);
    },
  );

  it('stops a server an earlier process left running', async () => {
    const port = await freePort();
    const left = await started({ dir: dataDir(), ports: { first: port, last: port } });
    const adopted = PrivateRedis.adopt({ port: left.port, pid: left.pid, dir: left.dir });
    expect(adopted.reused).toBe(true);
    expect(await adopted.stop()).toBe(true);
    expect(await probeRedis(left.url, 500)).toBeUndefined();
  });

  it('says so when every port asked for is in use', async () => {
    const port = await freePort();
    const taken = await occupy(port);
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const failure = await PrivateRedis.start({ dir: dataDir(), ports: { first: port, last: port } }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PrivateRedisError);
    expect(failure).toMatchObject({
      reason: 'ports-in-use',
      message: `port ${port} is in use, so no private redis-server can start there`,
    });
  });
});
