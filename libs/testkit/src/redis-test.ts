import { randomUUID } from 'node:crypto';
import { test } from 'vitest';
import { RedisServer } from './redis-server.js';

/** A namespace no other test uses: `t` and 8 random hex digits. */
export function uniqueNamespace(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

/**
 * Vitest's `test` with the Redis fixtures most tests of this repository need:
 *
 * - `server`: the redis-server of the test file (a {@link RedisServer}, started
 *   when a test or a `redisTest.beforeAll` of the file first asks for it,
 *   disposed of after the file). A test may `kill()` and `restart()` it for a
 *   fault; it restarts it before it ends, for the tests after it.
 * - `redis`: an ioredis client of `server` for this test, disconnected after it.
 * - `namespace`: a key prefix of this test's own (`createKeyLayout(namespace)`
 *   in tests that have `@turbostream/redis`), so the tests of a file share the
 *   server without sharing keys.
 *
 * Imported from `@turbostream/testkit/redis-test`, not from the package's index:
 * this module imports vitest, which only loads inside a vitest run (the
 * benchmarks import the index from plain Node).
 *
 * ```ts
 * redisTest('stores a window', async ({ redis, namespace }) => { … });
 * redisTest.beforeAll(async ({ server }) => { … }); // file-scoped fixtures only
 * ```
 *
 * A test that needs a server of its own (a password, a second server, options
 * of `RedisServer.start`) starts it explicitly.
 */
export const redisTest = test
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this destructuring
  .extend('server', { scope: 'file' }, async ({}, { onCleanup }) => {
    const server = await RedisServer.start();
    onCleanup(() => server.dispose());
    return server;
  })
  .extend('redis', async ({ server }, { onCleanup }) => {
    const client = server.client();
    onCleanup(() => client.disconnect());
    return client;
  })
  // biome-ignore lint/correctness/noEmptyPattern: as above
  .extend('namespace', async ({}) => uniqueNamespace());
