/**
 * Issue 8 (#9 part): edits to `streams.yaml` apply while the services run, or
 * are refused loudly. Real processes (`turbostream ingest`, `windower`,
 * `analyzer`, and `turbostream up`), a real redis-server, loopback WebSocket
 * sources and the heuristic provider:
 *
 * - a stream added to the file is connected, stored and windowed, no restart;
 * - a changed window applies to the next windows, a changed `subscribe`
 *   reconnects the source with it, a changed target analyses the next windows;
 * - a removed stream's socket is closed and its lease released;
 * - an invalid edit is an error line naming the field, and everything keeps
 *   running on the previous configuration;
 * - under `up`, a file swapped the way a Kubernetes ConfigMap is (a `..data`
 *   symlink replaced by a rename) is applied too.
 */
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpsEvent, type ProviderId } from '@turbostream/contracts';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { type RedisServer, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { listWindowJobs, listWindows } from '@turbostream/queue';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSource } from './support/fake-source.js';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';

const WAIT = { timeoutMs: 20_000 };

/** One stream of the file, as the test writes it. */
interface StreamSpec {
  id: string;
  url: string;
  subscribe: string;
  maxMessages: number | string;
  compare?: string;
}

function streamsYaml(streams: readonly StreamSpec[]): string {
  const lines = ['streams:'];
  for (const stream of streams) {
    const maxMessages =
      typeof stream.maxMessages === 'number' ? String(stream.maxMessages) : JSON.stringify(stream.maxMessages);
    lines.push(
      `  - id: ${stream.id}`,
      `    source: { url: ${stream.url}, subscribe: ['${stream.subscribe}'] }`,
      `    window: { maxMessages: ${maxMessages}, maxSeconds: 3600 }`,
      '    analysis: { provider: heuristic, instructions: Flag outliers. }',
    );
    if (stream.compare) lines.push(`    compare: [${stream.compare}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON log lines of a process's output. */
function logLines(output: string): Array<{ level: number; msg: string } & Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as { level: number; msg: string } & Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

const logged = (service: ServiceProcess, text: string, level?: number) =>
  logLines(service.output).some((line) => line.msg.includes(text) && (level === undefined || line.level === level));

async function opsEvents(redis: Redis, keys: KeyLayout): Promise<OpsEvent[]> {
  const entries = await redis.xrange(keys.eventLog, '-', '+');
  return entries.map(([, fields]) => OpsEvent.parse(JSON.parse(fields[1] ?? '{}')));
}

/** Sends `count` messages `{"seq":n}` to a source (every connected client). */
async function send(source: FakeSource, count: number, from = 0): Promise<void> {
  for (let index = 0; index < count; index += 1) await source.send(JSON.stringify({ seq: from + index, price: 100 }));
}

/** The message counts of a stream's stored windows, in order. */
async function windowSizes(redis: Redis, keys: KeyLayout, streamId: string): Promise<number[]> {
  return (await listWindows({ redis, keys, streamId, providers: ['heuristic'] })).map(
    (window) => window.messages.length,
  );
}

describe('streams.yaml changes while the services run', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  const sources: FakeSource[] = [];
  const processes: ServiceProcess[] = [];

  const source = async () => {
    const started = await FakeSource.start();
    sources.push(started);
    return started;
  };
  const baseEnv = (namespace: string) => ({
    REDIS_URL: redisServer.url,
    TURBOSTREAM_NAMESPACE: namespace,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    WINDOWER_POLL_MS: '50',
    INGEST_RECONNECT_INITIAL_MS: '50',
    INGEST_RECONNECT_MAX_MS: '200',
  });

  redisTest.beforeAll(({ server }) => {
    assertCliBuilt();
    redisServer = server;
    redis = redisServer.client();
  });

  afterAll(async () => {
    await Promise.all(processes.map((service) => service.stop()));
    redis?.disconnect();
    await Promise.all(sources.map((each) => each.close()));
  });

  it('adds, changes and removes streams in separate ingest and windower processes, and keeps running on an ' +
    'invalid edit', async () => {
    const namespace = 'reload';
    const keys = createKeyLayout(namespace);
    const cwd = mkdtempSync(join(tmpdir(), 'turbostream-reload-'));
    const file = join(cwd, 'streams.yaml');
    const sourceA = await source();
    const sourceB = await source();
    const a: StreamSpec = { id: 'alpha', url: sourceA.url, subscribe: '{"sub":"alpha"}', maxMessages: 5 };
    const b: StreamSpec = { id: 'beta', url: sourceB.url, subscribe: '{"sub":"beta"}', maxMessages: 2 };
    writeFileSync(file, streamsYaml([a]));
    const env = baseEnv(namespace);
    const spawn = (name: string) => {
      const service = new ServiceProcess(name, [name], { cwd, env: { ...env, TURBOSTREAM_INSTANCE_ID: `${name}-1` } });
      processes.push(service);
      return service;
    };
    const analyzer = spawn('analyzer');
    const windower = spawn('windower');
    const ingest = spawn('ingest');
    const all = [ingest, windower, analyzer];

    await dumpOutputsOnFailure(all, async () => {
      await waitFor(() => sourceA.received.includes(a.subscribe), {
        ...WAIT,
        description: 'ingest to subscribe to alpha',
      });
      await send(sourceA, 10);
      await waitFor(async () => (await windowSizes(redis, keys, 'alpha')).join() === '5,5', {
        ...WAIT,
        description: 'two windows of 5 on alpha',
      });

      // A stream added while running: connected, stored and windowed.
      writeFileSync(file, streamsYaml([a, b]));
      await waitFor(() => sourceB.received.includes(b.subscribe), {
        ...WAIT,
        description: 'ingest to open the added stream beta',
      });
      await send(sourceB, 4);
      await waitFor(async () => (await windowSizes(redis, keys, 'beta')).join() === '2,2', {
        ...WAIT,
        description: 'two windows of 2 on beta',
      });
      expect(logged(ingest, 'stream added: beta')).toBe(true);
      expect(logged(windower, 'stream added: beta')).toBe(true);

      // A changed window and subscribe on alpha, a comparison target added to beta.
      const a2 = { ...a, maxMessages: 3, subscribe: '{"sub":"alpha-2"}' };
      const b2 = { ...b, compare: '{ provider: openai, model: gpt-reload }' };
      writeFileSync(file, streamsYaml([a2, b2]));
      await waitFor(() => sourceA.received.includes(a2.subscribe), {
        ...WAIT,
        description: 'ingest to reconnect alpha with its new subscribe message',
      });
      await waitFor(() => logged(windower, 'window of alpha changed') && logged(windower, 'targets of beta changed'), {
        ...WAIT,
        description: 'the windower to apply the changes',
      });
      await waitFor(() => sourceA.clients === 1, { ...WAIT, description: 'the old alpha socket to be closed' });
      await send(sourceA, 6, 10);
      await waitFor(async () => (await windowSizes(redis, keys, 'alpha')).join() === '5,5,3,3', {
        ...WAIT,
        description: 'the next windows of alpha to hold 3 messages',
      });
      await send(sourceB, 2, 4);
      const providers: ProviderId[] = ['heuristic', 'openai'];
      await waitFor(async () => (await listWindowJobs({ redis, keys, streamId: 'beta', providers })).length === 4, {
        ...WAIT,
        description: "beta's next window to be analysed by both targets",
      });
      const targetsOfLast = (await listWindowJobs({ redis, keys, streamId: 'beta', providers }))
        .slice(-2)
        .map(({ job }) => `${job.target.provider}/${job.target.model}`);
      expect(targetsOfLast.sort()).toEqual(['heuristic/mad', 'openai/gpt-reload']);
      expect(logged(ingest, 'source of alpha changed')).toBe(true);

      // A stream removed: its socket closed, its lease released.
      writeFileSync(file, streamsYaml([b2]));
      await waitFor(() => sourceA.clients === 0, { ...WAIT, description: 'ingest to close the removed stream alpha' });
      await waitFor(
        async () => logged(windower, 'stream removed: alpha') && (await redis.exists(keys.windowLease('alpha'))) === 0,
        { ...WAIT, description: 'the windower to stop alpha and release its lease' },
      );
      expect(logged(ingest, 'stream removed: alpha')).toBe(true);
      const alphaConnections = sourceA.connections;

      // An invalid edit: an error naming the field; the previous configuration runs on.
      writeFileSync(file, streamsYaml([{ ...b2, maxMessages: 'lots' }]));
      const namesField = (service: ServiceProcess) =>
        logLines(service.output).some(
          (line) =>
            line.level >= 50 && line.msg.includes('streams.yaml') && line.msg.includes('streams[0].window.maxMessages'),
        );
      await waitFor(() => namesField(ingest) && namesField(windower), {
        ...WAIT,
        description: 'an error line naming streams[0].window.maxMessages from ingest and the windower',
      });
      await send(sourceB, 2, 6);
      await waitFor(async () => (await windowSizes(redis, keys, 'beta')).join() === '2,2,2,2', {
        ...WAIT,
        description: 'beta to be windowed on, by 2 as before',
      });
      expect(all.every((service) => service.running)).toBe(true);
      expect(sourceA.connections).toBe(alphaConnections);
      expect(await redis.exists(keys.windowLease('alpha'))).toBe(0);

      const events = await opsEvents(redis, keys);
      const reloaded = events.filter((event) => event.type === 'config.reloaded');
      expect(
        reloaded.some((event) => event.service === 'ingest' && JSON.stringify(event.details?.added) === '["beta"]'),
      ).toBe(true);
      expect(
        reloaded.some(
          (event) => event.service === 'windower' && JSON.stringify(event.details?.removed) === '["alpha"]',
        ),
      ).toBe(true);
      const rejected = events.filter((event) => event.type === 'config.rejected');
      expect(rejected.map((event) => event.service).sort()).toEqual(['ingest', 'windower']);
      expect(rejected[0]?.message).toContain('streams[0].window.maxMessages');
    });
  }, 120_000);

  it('applies a file swapped like a mounted ConfigMap under turbostream up', async () => {
    const namespace = 'reload-up';
    const keys = createKeyLayout(namespace);
    const cwd = mkdtempSync(join(tmpdir(), 'turbostream-reload-up-'));
    const mount = join(cwd, 'config');
    mkdirSync(mount);
    const sourceA = await source();
    const sourceB = await source();
    const a: StreamSpec = { id: 'alpha', url: sourceA.url, subscribe: '{"sub":"alpha"}', maxMessages: 2 };
    const b: StreamSpec = { id: 'beta', url: sourceB.url, subscribe: '{"sub":"beta"}', maxMessages: 2 };
    // kubelet's layout: streams.yaml → ..data/streams.yaml, ..data → a timestamped directory, swapped by a rename.
    const publish = (version: string, text: string) => {
      mkdirSync(join(mount, version));
      writeFileSync(join(mount, version, 'streams.yaml'), text);
      symlinkSync(version, join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    };
    publish('..v1', streamsYaml([a]));
    symlinkSync(join('..data', 'streams.yaml'), join(mount, 'streams.yaml'));
    const up = new ServiceProcess('up', ['up', '--json'], {
      cwd,
      env: { ...baseEnv(namespace), TURBOSTREAM_STREAMS_FILE: join(mount, 'streams.yaml') },
    });
    processes.push(up);

    await dumpOutputsOnFailure([up], async () => {
      await waitFor(() => sourceA.received.includes(a.subscribe), { ...WAIT, description: 'up to subscribe to alpha' });
      publish('..v2', streamsYaml([a, b]));
      await waitFor(() => sourceB.received.includes(b.subscribe), {
        ...WAIT,
        description: 'up to open the added stream beta',
      });
      await send(sourceB, 4);
      await waitFor(async () => (await windowSizes(redis, keys, 'beta')).join() === '2,2', {
        ...WAIT,
        description: 'two windows of 2 on beta',
      });
      expect(logLines(up.output).filter((line) => line.msg === 'stream added: beta')).toHaveLength(1);
      expect(up.running).toBe(true);
    });
  }, 60_000);
});
