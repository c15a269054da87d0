import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { aroundAll, describe, expect } from 'vitest';
import type { RedisServer } from './redis-server.js';
import { redisTest } from './redis-test.js';
import { waitFor } from './wait-for.js';

const servers: RedisServer[] = [];
const namespaces: string[] = [];

// Runs around the whole file, file-scoped fixtures' clean-up included: once every test and hook has run, the server is
// gone.
aroundAll(async (runSuite) => {
  await runSuite();
  expect(servers.length, 'servers seen by the tests').toBe(3);
  const [server] = servers;
  if (!server) throw new Error('no server');
  expect(server.running).toBe(false);
  expect(existsSync(server.dir)).toBe(false);
  const refused = await new Promise<string>((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
  expect(refused).toBe('ECONNREFUSED');
});

describe('redisTest', () => {
  redisTest(
    'gives the first test of a file a running server, a client of it and a namespace',
    async ({ server, redis, namespace }) => {
      servers.push(server);
      namespaces.push(namespace);
      expect(server.running).toBe(true);
      expect(await redis.ping()).toBe('PONG');
      expect(((await redis.config('GET', 'port')) as string[])[1]).toBe(String(server.port));
      expect(namespace).toMatch(/^t[0-9a-f]{8}$/);
      await redis.set(`${namespace}:mine`, '1');
    },
  );

  redisTest(
    'gives the next test the same server, a new client, and a namespace of its own',
    async ({ server, redis, namespace }) => {
      servers.push(server);
      namespaces.push(namespace);
      expect(server).toBe(servers[0]);
      expect(namespace).not.toBe(namespaces[0]);
      expect(await redis.get(`${namespaces[0]}:mine`)).toBe('1');
      expect(await redis.get(`${namespace}:mine`)).toBeNull();
    },
  );

  describe('in another describe of the file', () => {
    let fromHook: RedisServer | undefined;
    redisTest.beforeAll(({ server }) => {
      fromHook = server;
    });

    redisTest('still the same server, in tests and in beforeAll', ({ server }) => {
      servers.push(server);
      expect(fromHook).toBe(servers[0]);
      expect(server).toBe(servers[0]);
    });
  });

  let previous: Redis | undefined;
  redisTest('disconnects the client of a test after it (1/2: a client in use)', async ({ redis }) => {
    previous = redis;
    expect(await redis.ping()).toBe('PONG');
  });

  redisTest('disconnects the client of a test after it (2/2: that client is closed)', async () => {
    await waitFor(() => previous?.status === 'end', {
      timeoutMs: 2_000,
      description: `the client of the test before to end (${previous?.status})`,
    });
  });
});
