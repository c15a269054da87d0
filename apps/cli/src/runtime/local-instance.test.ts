import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RedisServer } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect, it } from 'vitest';
import {
  commandTarget,
  type LocalInstance,
  localInstancePath,
  localInstanceRunning,
  readLocalInstance,
  removeLocalInstance,
  writeLocalInstance,
} from './local-instance.js';
import { probeRedis } from './redis-probe.js';

const workDir = () => mkdtempSync(join(tmpdir(), 'turbostream-local-instance-'));
const DEFAULT_REDIS = {
  url: 'redis://127.0.0.1:6379',
  explicit: false,
  cluster: false,
  nodes: ['redis://127.0.0.1:6379'],
};
const config = (redis = DEFAULT_REDIS) => ({ redis, namespace: 'turbostream' });
const record = (redis: LocalInstance['redis'], overrides: Partial<LocalInstance> = {}): LocalInstance => ({
  v: 1,
  command: 'up',
  pid: process.ppid,
  startedAt: new Date().toISOString(),
  namespace: 'demo-ns',
  redis,
  ...overrides,
});
/** A process id that does not exist. */
const DEAD_PID = 2 ** 22 + 17;

describe('the local instance record', () => {
  it('is ignored when missing, unreadable or not a record', () => {
    const dir = workDir();
    expect(readLocalInstance(dir)).toBeUndefined();
    mkdirSync(join(dir, '.turbostream'));
    for (const text of [
      '{',
      '[]',
      '{"v":1}',
      JSON.stringify({ ...record({ url: 'redis://127.0.0.1:6380', source: 'private' }) }),
    ]) {
      writeFileSync(localInstancePath(dir), text);
      expect(readLocalInstance(dir), text).toBeUndefined();
    }
  });

  it('is written with the password masked, and removed only by the process that wrote it', () => {
    const dir = workDir();
    writeLocalInstance(
      dir,
      record({ url: 'redis://:hunter2@db.internal:6379', source: 'REDIS_URL' }, { pid: process.pid }),
    );
    expect(readLocalInstance(dir)?.redis.url).toBe('redis://:****@db.internal:6379');
    removeLocalInstance(dir, process.ppid);
    expect(existsSync(localInstancePath(dir))).toBe(true);
    removeLocalInstance(dir, process.pid);
    expect(existsSync(localInstancePath(dir))).toBe(false);
  });

  it('counts as running only while its process runs (and its private redis-server answers)', async () => {
    const other = { url: 'redis://127.0.0.1:6379', source: 'default' } as const;
    expect(await localInstanceRunning(record(other))).toBe(true);
    expect(await localInstanceRunning(record(other, { pid: DEAD_PID }))).toBe(false);
    expect(await localInstanceRunning(record(other, { pid: process.pid }))).toBe(false);
    const port = await freePort();
    expect(
      await localInstanceRunning(
        record({ url: `redis://127.0.0.1:${port}`, source: 'private', pid: DEAD_PID, port, dir: '/nowhere' }),
      ),
    ).toBe(false);
  });
});

describe('commandTarget', () => {
  let server: RedisServer;
  let serverPid: number;
  redisTest.beforeAll(async ({ server: fileServer }) => {
    server = fileServer;
    serverPid = (await probeRedis(server.url, 2_000))?.pid ?? 0;
  });
  const privateRecord = (pid = serverPid) =>
    record({ url: server.url, source: 'private', pid, port: server.port, dir: server.dir }, { pid: DEAD_PID });

  redisTest(
    'follows the private redis-server and namespace of up in the directory, even after up was killed',
    async () => {
      const dir = workDir();
      writeLocalInstance(dir, privateRecord());
      const target = await commandTarget(config(), dir);
      expect(target).toMatchObject({
        redis: { url: server.url, cluster: false, nodes: [server.url] },
        namespace: 'demo-ns',
      });
      expect(target.note).toContain(
        `using the private redis-server of turbostream up in this directory: ${server.url}, namespace demo-ns`,
      );
    },
  );

  redisTest(
    'ignores a stale record: its redis-server does not answer, or another one answers in its place',
    async () => {
      const dir = workDir();
      const port = await freePort();
      writeLocalInstance(
        dir,
        record({ url: `redis://127.0.0.1:${port}`, source: 'private', pid: serverPid, port, dir }, { pid: DEAD_PID }),
      );
      expect(await commandTarget(config(), dir)).toEqual(config());
      writeLocalInstance(dir, privateRecord(DEAD_PID));
      expect(await commandTarget(config(), dir)).toEqual(config());
    },
  );

  redisTest('lets REDIS_URL win, following only the namespace of an up running on that same Redis', async () => {
    const dir = workDir();
    const explicit = { url: server.url, explicit: true, cluster: false, nodes: [server.url] };
    writeLocalInstance(dir, record({ url: server.url, source: 'REDIS_URL' }));
    expect(await commandTarget(config(explicit), dir)).toMatchObject({ redis: explicit, namespace: 'demo-ns' });
    const elsewhere = { ...explicit, url: 'redis://127.0.0.1:1', nodes: ['redis://127.0.0.1:1'] };
    expect(await commandTarget(config(elsewhere), dir)).toEqual(config(elsewhere));
    writeLocalInstance(dir, record({ url: server.url, source: 'REDIS_URL' }, { pid: DEAD_PID }));
    expect(await commandTarget(config(explicit), dir)).toEqual(config(explicit));
    // REDIS_URL unset: a record of an up on REDIS_URL names no Redis this command can use.
    writeLocalInstance(dir, record({ url: server.url, source: 'REDIS_URL' }));
    expect(await commandTarget(config(), dir)).toEqual(config());
  });
});
