/**
 * `turbostream stack --analyzers 3` with the built-in demo: the compose
 * topology as supervised OS processes (demo feed, ingest, windower, three
 * analyzers) on a real redis-server. Kill an analyzer and add one while it
 * runs: no window is lost, no alert is published twice; SIGTERM stops all.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Alert,
  compareEntryIds,
  fieldsToObject,
  StreamEntryFields,
  WindowJob,
  WindowJobResult,
} from '@turbostream/contracts';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout } from '@turbostream/redis';
import { runNamespace } from '../apps/cli/src/demo/demo-guard.js';
import { type RedisServer, waitFor } from '@turbostream/testkit';
import { redisTest, uniqueNamespace } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';

const SHUTDOWN_TIMEOUT_MS = 5_000;
const STARTED = /^\[stack\] (\S+) started \(pid (\d+)\)$/;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('turbostream stack: its command line', () => {
  it('accepts 1 to 64 analyzers and says so, before touching Redis', async () => {
    assertCliBuilt();
    for (const value of ['0', '65', 'two']) {
      const bad = new ServiceProcess('stack', ['stack', '--analyzers', value], {
        cwd: tmpdir(),
        env: { REDIS_URL: 'redis://127.0.0.1:1' },
      });
      expect(await bad.exited).toBe(2);
      expect(bad.output).toContain(`--analyzers expects a whole number from 1 to 64, got "${value}"`);
    }
    const help = new ServiceProcess('stack', ['stack', '--help'], { cwd: tmpdir(), env: {} });
    expect(await help.exited).toBe(0);
    expect(help.output).toContain('Usage: turbostream stack [--analyzers N]');
  });
});

describe('turbostream stack', () => {
  const namespace = uniqueNamespace();
  // On a Redis the stack did not start, its demo keeps to a namespace of its own (`<namespace>-demo`).
  const keys = createKeyLayout(runNamespace(namespace, { demo: true, shared: true }));
  let redisServer: RedisServer;
  let redis: Redis;
  let subscriber: Redis;
  let queue: Queue;
  let stack: ServiceProcess;
  let cwd: string;
  let env: Record<string, string>;
  const extras: ServiceProcess[] = [];
  const alertsSeen: Alert[] = [];
  /** Every pid the stack reported per child name, in start order. */
  const pids = new Map<string, number[]>();
  const lastPid = (name: string) => pids.get(name)?.at(-1);

  const completedJobs = async () => {
    const jobs = await queue.getJobs(['completed'], 0, -1);
    return jobs.map((job) => ({
      job,
      data: WindowJob.parse(job.data),
      result: WindowJobResult.parse(job.returnvalue),
    }));
  };
  const analyzersWithWork = async (since = 0) =>
    new Set(
      (await completedJobs()).filter(({ job }) => (job.finishedOn ?? 0) > since).map(({ job }) => job.processedBy),
    );

  redisTest.beforeAll(async ({ server }) => {
    assertCliBuilt();
    redisServer = server;
    redis = redisServer.client();
    subscriber = redisServer.client();
    subscriber.on('message', (_channel: string, message: string) => alertsSeen.push(Alert.parse(JSON.parse(message))));
    await subscriber.subscribe(keys.alertsChannel);
    queue = new Queue(analysisQueueName('heuristic'), { connection: redisServer.client(), prefix: keys.queuePrefix });
    cwd = mkdtempSync(join(tmpdir(), 'turbostream-stack-'));
    env = {
      REDIS_URL: redisServer.url,
      TURBOSTREAM_NAMESPACE: namespace,
      TURBOSTREAM_ENV_FILE: '/dev/null',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      WINDOWER_POLL_MS: '50',
      WINDOWER_RETENTION_MS: '86400000',
      ANALYZER_LOCK_MS: '3000',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    };
    // 200 trades/s: a window of 100 messages every half second.
    stack = new ServiceProcess('stack', ['stack', '--analyzers', '3', '--demo', '--demo-rate', '200'], { cwd, env });
    let pending = '';
    // The supervisor's own lines go to standard error: standard output carries only alerts.
    stack.child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = STARTED.exec(line);
        if (match?.[1] && match[2]) pids.set(match[1], [...(pids.get(match[1]) ?? []), Number(match[2])]);
      }
    });
  }, 60_000);

  afterAll(async () => {
    for (const service of [...extras, stack]) await service?.stop(SHUTDOWN_TIMEOUT_MS + 20_000);
    for (const pid of [...pids.values()].flat()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await queue?.close();
    subscriber?.disconnect();
    redis?.disconnect();
  });

  const dumpOnFailure = <T>(body: () => Promise<T>): Promise<T> => dumpOutputsOnFailure([stack, ...extras], body);

  it('runs the demo end to end as separate processes: alerts on the channel, and all three analyzers take ' +
    'work', async () => {
    await dumpOnFailure(async () => {
      await waitFor(
        () =>
          ['demo-feed', 'analyzer-1', 'analyzer-2', 'analyzer-3', 'windower', 'ingest'].every((name) => pids.has(name)),
        { timeoutMs: 20_000, description: 'every child started' },
      );
      const distinct = new Set([...pids.values()].flat());
      expect(distinct.size).toBe(6);
      expect([...distinct].every(alive)).toBe(true);

      await waitFor(
        async () => {
          const withWork = await analyzersWithWork();
          return ['analyzer-1', 'analyzer-2', 'analyzer-3'].every((name) => withWork.has(name));
        },
        { timeoutMs: 60_000, intervalMs: 500, description: 'work completed by each of the three analyzers' },
      );
      for (const { job, result, data } of await completedJobs()) {
        expect(result.analyzer).toBe(job.processedBy);
        expect(data.target).toEqual({ provider: 'heuristic', model: 'mad' });
      }
      // The demo injects an anomaly within seconds; the heuristic provider turns it into an alert.
      await waitFor(() => alertsSeen.length > 0, { timeoutMs: 30_000, description: 'an alert on the channel' });
      expect(alertsSeen[0]).toMatchObject({ streamId: 'demo-market', provider: 'heuristic', model: 'mad' });
    });
  }, 90_000);

  it('restarts an analyzer killed while it runs, and a replica added while it runs takes work too', async () => {
    await dumpOnFailure(async () => {
      const victim = lastPid('analyzer-2');
      if (victim === undefined) throw new Error('no pid for analyzer-2');
      process.kill(victim, 'SIGKILL');
      const restarted = await waitFor(() => (lastPid('analyzer-2') !== victim ? lastPid('analyzer-2') : undefined), {
        timeoutMs: 20_000,
        description: 'analyzer-2 restarted',
      });
      const restartedAt = Date.now();
      expect(alive(victim)).toBe(false);
      expect(restarted !== undefined && alive(restarted)).toBe(true);
      expect(stack.output).toContain('[stack] analyzer-2 exited unexpectedly (signal SIGKILL); restarting in');
      await waitFor(async () => (await analyzersWithWork(restartedAt)).has('analyzer-2'), {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: 'the restarted analyzer-2 to take work',
      });

      const extra = new ServiceProcess('analyzer-4', ['analyzer'], {
        cwd,
        env: { ...env, TURBOSTREAM_NAMESPACE: keys.namespace, TURBOSTREAM_INSTANCE_ID: 'analyzer-4' },
      });
      extras.push(extra);
      await waitFor(async () => (await analyzersWithWork()).has('analyzer-4'), {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: 'the added analyzer-4 to take work',
      });
      expect(await extra.stop(SHUTDOWN_TIMEOUT_MS + 10_000)).toBe(0);
      expect(stack.running).toBe(true);
    });
  }, 90_000);

  it('lost no window: every stored message is in exactly one completed window, and no alert was published ' +
    'twice', async () => {
    await dumpOnFailure(async () => {
      const entries = await redis.xrange(keys.messages('demo-market'), '-', '+');
      const stored = entries
        .filter(([, fields]) => StreamEntryFields.safeParse(fieldsToObject(fields)).data?.kind === 'message')
        .map(([id]) => id);
      expect(stored.length).toBeGreaterThan(1_000);
      const storedSet = new Set(stored);

      // Windows are cut up to the newest entries within about a window's time: wait until all stored ones are covered.
      const counts = await waitFor(
        async () => {
          const perMessage = new Map<string, number>();
          for (const { data } of await completedJobs())
            for (const message of data.window.messages)
              perMessage.set(message.id, (perMessage.get(message.id) ?? 0) + 1);
          return stored.every((id) => perMessage.has(id)) ? perMessage : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: 'every stored message in a completed window' },
      );
      expect(stored.filter((id) => counts.get(id) !== 1)).toEqual([]);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
      // …and windows hold nothing but stored messages.
      const newest = stored.at(-1) ?? '0-0';
      expect([...counts.keys()].filter((id) => compareEntryIds(id, newest) <= 0 && !storedSet.has(id))).toEqual([]);
      expect(await queue.getFailedCount()).toBe(0);

      const logged = (await redis.xrange(keys.alertLog, '-', '+')).map(([, fields]) =>
        Alert.parse(JSON.parse(fieldsToObject(fields).alert ?? '')),
      );
      expect(logged.length).toBeGreaterThan(0);
      expect(new Set(logged.map((alert) => alert.id)).size).toBe(logged.length);
    });
  }, 60_000);

  it('stops every process on SIGTERM and exits 0', async () => {
    await dumpOnFailure(async () => {
      const everyPid = [...pids.values()].flat();
      expect(await stack.stop(SHUTDOWN_TIMEOUT_MS + 20_000)).toBe(0);
      expect(everyPid.filter(alive)).toEqual([]);
      expect(stack.output).toContain('[stack] stopped');
      expect(stack.output).not.toContain('killed after');
      // Its demo ran on a Redis it did not start: every key of the demo's namespace expires within a day.
      const demoKeys = (await Promise.all(keys.keyPatterns.map((pattern) => redis.keys(pattern)))).flat();
      expect(demoKeys.length).toBeGreaterThan(10);
      const lasting = (await Promise.all(demoKeys.map(async (key) => [key, await redis.ttl(key)] as const))).filter(
        ([, ttl]) => ttl < 0 || ttl > 24 * 3600,
      );
      expect(lasting).toEqual([]);
    });
  }, 60_000);
});
