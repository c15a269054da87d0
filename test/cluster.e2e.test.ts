/**
 * The whole data path as separate OS processes against a local 3-master
 * Redis Cluster (`redis-cli --cluster create`): a loopback WebSocket source,
 * `turbostream ingest`, `turbostream windower` and two `turbostream analyzer`
 * processes with `REDIS_URL` naming every node, analysing with the `openai`
 * provider against a loopback fake. Then SIGKILL one analyzer while it holds jobs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert, WindowJob, WindowJobResult } from '@turbostream/contracts';
import { chatMessages, type FakeOpenAI, RedisCluster, startFakeOpenAI, waitFor, redisServerOnPath } from '@turbostream/testkit';
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSource } from './support/fake-source.js';
import { alertCitingWindow, windowOf } from './support/window-answers.js';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';

const NAMESPACE = 'cluster';
/** Named so that, in namespace `cluster`, each stream hashes to a different master's slot range. */
const STREAMS = ['btc', 'eth', 'delta'];

/** A local cluster needs redis-server and redis-cli on PATH (`redis-cli --cluster create`); a Docker-only machine skips it, saying so. */
const clusterReason = redisServerOnPath() ? '' : ' (skipped: needs redis-server and redis-cli on PATH to build a local cluster)';

describe.skipIf(clusterReason !== '')(`pipeline across processes on a Redis Cluster${clusterReason}`, () => {
  let cluster: RedisCluster;
  let redis: Cluster;
  let subscriber: Cluster;
  let source: FakeSource;
  let llm: FakeOpenAI;
  let queue: Queue;
  let delayMs = 300;
  const processes: ServiceProcess[] = [];
  const alertsSeen: Alert[] = [];
  let sent = 0;

  const spawnService = (name: string, command: string, cwd: string, env: Record<string, string>) => {
    const service = new ServiceProcess(name, [command], { cwd, env });
    processes.push(service);
    return service;
  };

  /** Every source stream gets the same frames; each stream's messages carry their sequence number. */
  const sendMessages = async (count: number) => {
    for (let index = 0; index < count; index += 1) {
      await source.send(JSON.stringify({ seq: sent, price: (100 + (sent % 7) * 0.01).toFixed(2), qty: 1 }));
      sent += 1;
      if (index % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };

  const completedJobs = async () => {
    const jobs = await queue.getJobs(['completed'], 0, -1);
    return jobs.map((job) => ({ data: WindowJob.parse(job.data), result: WindowJobResult.parse(job.returnvalue), job }));
  };

  /** Every message sent so far is, in every stream, in exactly one completed window. */
  const everyMessageWindowedOnce = async () => {
    const jobs = await completedJobs();
    for (const streamId of STREAMS) {
      const seqs = jobs
        .filter(({ data }) => data.window.streamId === streamId)
        .flatMap(({ data }) => data.window.messages.map((message) => (JSON.parse(message.data) as { seq: number }).seq));
      if (seqs.length !== sent || new Set(seqs).size !== sent) return undefined;
    }
    return jobs;
  };

  beforeAll(async () => {
    assertCliBuilt();
    cluster = await RedisCluster.start({ masters: 3 });
    redis = cluster.client();
    subscriber = cluster.client();
    subscriber.on('message', (_channel: string, message: string) => alertsSeen.push(Alert.parse(JSON.parse(message))));
    await subscriber.subscribe(`${NAMESPACE}:alerts`);
    source = await FakeSource.start();
    llm = await startFakeOpenAI({
      apiKey: 'sk-e2e-test-key-0123456789',
      handler: (request) => {
        const user = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
        return { content: alertCitingWindow(user), firstTokenDelayMs: delayMs, chunkDelayMs: 5 };
      },
    });
    const cwd = mkdtempSync(join(tmpdir(), 'turbostream-cluster-e2e-'));
    const stream = (id: string) =>
      `  - id: ${id}\n    source: { url: ${source.url}, subscribe: ['{"op":"subscribe","stream":"${id}"}'] }\n    window: { maxMessages: 20, maxSeconds: 1 }\n    analysis: { provider: openai, model: gpt-e2e, instructions: Flag every window. }\n`;
    writeFileSync(join(cwd, 'streams.yaml'), `streams:\n${STREAMS.map(stream).join('')}`);
    const env = {
      REDIS_URL: cluster.urls.join(','),
      TURBOSTREAM_NAMESPACE: NAMESPACE,
      TURBOSTREAM_ENV_FILE: '/dev/null',
      OPENAI_API_KEY: 'sk-e2e-test-key-0123456789',
      OPENAI_BASE_URL: llm.url,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      WINDOWER_POLL_MS: '50',
      ANALYZER_CONCURRENCY: '4',
      ANALYZER_LOCK_MS: '3000',
      LLM_TIMEOUT_MS: '20000',
    };
    spawnService('analyzer-1', 'analyzer', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'analyzer-1' });
    spawnService('analyzer-2', 'analyzer', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'analyzer-2' });
    spawnService('windower', 'windower', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'windower-1' });
    spawnService('ingest', 'ingest', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'ingest-1' });
    queue = new Queue('analysis-openai', { connection: cluster.client(), prefix: `{${NAMESPACE}}` });
    await waitFor(() => STREAMS.every((id) => source.received.includes(`{"op":"subscribe","stream":"${id}"}`)), {
      timeoutMs: 20_000,
      description: 'ingest to connect and subscribe every stream',
    });
  }, 60_000);

  afterAll(async () => {
    const exitCodes = await Promise.all(processes.map(async (service) => [service.name, await service.stop()] as const));
    for (const [name, code] of exitCodes) if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}\n`);
    await queue?.close();
    subscriber?.disconnect();
    redis?.disconnect();
    await llm?.close();
    await source?.close();
    await cluster?.dispose();
  });

  const dumpOnFailure = <T>(body: () => Promise<T>): Promise<T> => dumpOutputsOnFailure(processes, body);

  it('puts the streams on different masters, each stream in one slot', async () => {
    const nodeOf = async (key: string) => {
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      const owner = (redis.slots[slot] ?? [])[0];
      if (!owner) throw new Error(`no owner of slot ${slot}`);
      return { slot, owner };
    };
    const owners = new Set<string>();
    for (const id of STREAMS) {
      const placed = await Promise.all(['messages', 'stats', 'window', 'lease', 'status'].map((suffix) => nodeOf(`${NAMESPACE}:{${NAMESPACE}:${id}}:${suffix}`)));
      expect(new Set(placed.map(({ slot }) => slot)).size).toBe(1);
      owners.add(placed[0]?.owner ?? '');
    }
    // Hashing decides, not the layout: these three names were picked to land on three masters.
    expect(owners.size).toBe(3);
  });

  it('stores every message in exactly one window, analyses each window once, spreads work over both analyzers and publishes the alerts', async () => {
    await dumpOnFailure(async () => {
      await sendMessages(300);
      const jobs = await waitFor(everyMessageWindowedOnce, { timeoutMs: 60_000, intervalMs: 200, description: 'every message in a completed window' });

      const windows = jobs.map(({ data }) => data.window);
      for (const window of windows) {
        expect(window.messages.length).toBeGreaterThan(0);
        expect(window.messages.length).toBeLessThanOrEqual(20);
        expect(window.windowId).toBe(window.messages[0]?.id);
      }

      // Each window was asked of the model exactly once (an entry id names a window within its stream).
      const perWindow = new Map<string, number>();
      for (const request of llm.requests.filter((candidate) => candidate.path.endsWith('/chat/completions'))) {
        const content = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
        const key = `${/^Stream: (\S+)/m.exec(content)?.[1]}/${windowOf(content)}`;
        perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
      }
      expect([...perWindow.keys()].sort()).toEqual(windows.map((window) => `${window.streamId}/${window.windowId}`).sort());
      expect([...perWindow.values()].every((count) => count === 1)).toBe(true);
      expect(new Set(jobs.map(({ result }) => result.analyzer))).toEqual(new Set(['analyzer-1', 'analyzer-2']));

      // A plain cluster subscriber received one alert per window.
      await waitFor(() => alertsSeen.length >= windows.length, { timeoutMs: 10_000, description: 'alerts on the channel' });
      expect(new Set(alertsSeen.map((alert) => `${alert.streamId}/${alert.windowId}`))).toEqual(new Set(windows.map((window) => `${window.streamId}/${window.windowId}`)));
      expect(alertsSeen.every((alert) => alert.provider === 'openai' && alert.model === 'gpt-e2e' && alert.evidence[0] === alert.windowId)).toBe(true);

      // No command was refused for crossing slots, and no best-effort write (events, heartbeats) failed.
      for (const service of processes) {
        expect(service.output, service.name).toMatch(/"level":30\b/); // JSON logs, so the filter below sees levels
        const warnings = service.output.split('\n').filter((line) => /"level":(40|50|60)\b/.test(line));
        expect(warnings, service.name).toEqual([]);
      }

      // The windower checkpointed every stream on its own node, and ingest counted what it stored.
      for (const id of STREAMS) {
        expect(Number(await redis.hget(`${NAMESPACE}:{${NAMESPACE}:${id}}:stats`, 'stored'))).toBe(sent);
        expect(await redis.hget(`${NAMESPACE}:{${NAMESPACE}:${id}}:window`, 'lastEntryId')).toMatch(/^\d+-\d+$/);
      }
    });
  }, 120_000);

  it('loses nothing and duplicates no alert when an analyzer is SIGKILLed while it holds jobs', async () => {
    await dumpOnFailure(async () => {
      const victim = processes.find((service) => service.name === 'analyzer-1');
      if (!victim) throw new Error('no analyzer-1');
      delayMs = 2_500;
      await sendMessages(150);
      await waitFor(
        async () => {
          const active = await queue.getJobs(['active'], 0, -1);
          return active.some((job) => job.processedBy === 'analyzer-1');
        },
        { timeoutMs: 30_000, intervalMs: 50, description: 'analyzer-1 to hold a job' },
      );
      await victim.kill();
      delayMs = 200;

      const jobs = await waitFor(everyMessageWindowedOnce, { timeoutMs: 90_000, intervalMs: 250, description: 'every message in a completed window after the kill' });
      const windows = jobs.map(({ data }) => `${data.window.streamId}/${data.window.windowId}`);
      expect(new Set(windows).size).toBe(windows.length);
      expect(jobs.some(({ job }) => (job.stalledCounter ?? 0) > 0 || job.attemptsStarted > 1)).toBe(true);

      // The durable log holds exactly one alert per window: none lost, none duplicated.
      const log = await redis.xrange(`${NAMESPACE}:alerts:log`, '-', '+');
      const logged = log.map(([, fields]) => Alert.parse(JSON.parse(fields[1] ?? '')));
      const ids = logged.map((alert) => alert.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(logged.map((alert) => `${alert.streamId}/${alert.windowId}`))).toEqual(new Set(windows));
      expect(jobs.filter(({ result }) => result.analyzer === 'analyzer-2').length).toBeGreaterThan(0);
    });
  }, 150_000);
});
