/**
 * The whole data path as separate OS processes: redis-server, a loopback
 * WebSocket source, `turbostream ingest`, `turbostream windower` and two
 * `turbostream analyzer` processes, analysing with the `openai` provider
 * through the official SDK against a loopback fake of the Chat Completions
 * API (streamed). Then SIGKILL one analyzer while it holds jobs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert, compareEntryIds, WindowJob, WindowJobResult } from '@turbostream/contracts';
import { chatMessages, type FakeOpenAI, RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSource } from './support/fake-source.js';
import { alertCitingWindow, windowOf } from './support/window-answers.js';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';

const NAMESPACE = 'e2e';

describe('pipeline across processes', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let subscriber: Redis;
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

  /** Every message sent so far is in exactly one completed window. */
  const everyMessageWindowedOnce = async () => {
    const jobs = await completedJobs();
    const seqs = jobs.flatMap(({ data }) => data.window.messages.map((message) => (JSON.parse(message.data) as { seq: number }).seq));
    return seqs.length === sent && new Set(seqs).size === sent ? jobs : undefined;
  };

  beforeAll(async () => {
    assertCliBuilt();
    redisServer = await RedisServer.start();
    redis = redisServer.client();
    subscriber = redisServer.client();
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
    const cwd = mkdtempSync(join(tmpdir(), 'turbostream-e2e-'));
    writeFileSync(
      join(cwd, 'streams.yaml'),
      `streams:\n  - id: e2e\n    source: { url: ${source.url}, subscribe: ['{"op":"subscribe"}'] }\n    window: { maxMessages: 20, maxSeconds: 1 }\n    analysis: { provider: openai, model: gpt-e2e, instructions: Flag every window. }\n`,
    );
    const env = {
      REDIS_URL: redisServer.url,
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
      INGEST_MAX_FRAME_BYTES: '4096',
    };
    spawnService('analyzer-1', 'analyzer', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'analyzer-1' });
    spawnService('analyzer-2', 'analyzer', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'analyzer-2' });
    spawnService('windower', 'windower', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'windower-1' });
    spawnService('ingest', 'ingest', cwd, { ...env, TURBOSTREAM_INSTANCE_ID: 'ingest-1' });
    queue = new Queue('analysis-openai', { connection: redisServer.client(), prefix: `{${NAMESPACE}}` });
    await waitFor(() => source.received.includes('{"op":"subscribe"}'), { timeoutMs: 20_000, description: 'ingest to connect and subscribe' });
  }, 60_000);

  afterAll(async () => {
    const exitCodes = await Promise.all(processes.map(async (service) => [service.name, await service.stop()] as const));
    for (const [name, code] of exitCodes) if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}\n`);
    await queue?.close();
    subscriber?.disconnect();
    redis?.disconnect();
    await llm?.close();
    await source?.close();
    await redisServer?.dispose();
  });

  const dumpOnFailure = <T>(body: () => Promise<T>): Promise<T> => dumpOutputsOnFailure(processes, body);

  it('keeps binary, oversized, non-JSON and invalid UTF-8 frames aside in the dead-letter stream, and carries on', async () => {
    await dumpOnFailure(async () => {
      await source.send(Buffer.from([0, 1, 2, 254, 255]), { binary: true });
      await source.send(JSON.stringify({ padding: 'x'.repeat(5_000) }));
      await source.send('this is not json');
      await source.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
      const letters = await waitFor(
        async () => {
          const entries = await redis.xrange(`${NAMESPACE}:deadletter`, '-', '+');
          return entries.length >= 4 ? entries.map(([, fields]) => fields) : undefined;
        },
        { timeoutMs: 10_000, description: 'four dead letters' },
      );
      const reasons = letters.map((fields) => fields[fields.indexOf('reason') + 1]).sort();
      expect(reasons).toEqual(['binary', 'invalid-utf8', 'not-json', 'oversized']);
      expect(processes.every((service) => service.running)).toBe(true);
    });
  });

  it('stores every message in exactly one window, analyses each window once, spreads work over both analyzers and publishes the alerts', async () => {
    await dumpOnFailure(async () => {
      await sendMessages(400);
      const jobs = await waitFor(everyMessageWindowedOnce, { timeoutMs: 60_000, intervalMs: 200, description: 'every message in a completed window' });

      // Windows partition the stream: their entries, window after window, are the stream's entries in order (no gap, no overlap).
      const windows = jobs.map(({ data }) => data.window).sort((a, b) => compareEntryIds(a.windowId, b.windowId));
      const streamIds = (await redis.xrange(`${NAMESPACE}:{${NAMESPACE}:e2e}:messages`, '-', '+')).map(([id]) => id);
      expect(streamIds.length).toBe(sent);
      expect(windows.flatMap((window) => window.messages.map((message) => message.id))).toEqual(streamIds);
      for (const window of windows) {
        expect(window.messages.length).toBeGreaterThan(0);
        expect(window.messages.length).toBeLessThanOrEqual(20);
        expect(window.windowId).toBe(window.messages[0]?.id);
      }

      // Each window was asked of the model exactly once, and by the model the stream names.
      const perWindow = new Map<string, number>();
      for (const request of llm.requests.filter((candidate) => candidate.path.endsWith('/chat/completions'))) {
        const windowId = windowOf(chatMessages(request).find((message) => message.role === 'user')?.content ?? '');
        if (windowId) perWindow.set(windowId, (perWindow.get(windowId) ?? 0) + 1);
        expect((request.body as { model?: string }).model).toBe('gpt-e2e');
      }
      expect([...perWindow.keys()].sort()).toEqual(windows.map((window) => window.windowId).sort());
      expect([...perWindow.values()].every((count) => count === 1)).toBe(true);

      // Both analyzer processes took work.
      const analyzers = new Set(jobs.map(({ result }) => result.analyzer));
      expect(analyzers).toEqual(new Set(['analyzer-1', 'analyzer-2']));

      // A plain Redis subscriber received one alert per window, tagged with provider and model.
      await waitFor(() => alertsSeen.length >= windows.length, { timeoutMs: 10_000, description: 'alerts on the channel' });
      expect(new Set(alertsSeen.map((alert) => alert.windowId))).toEqual(new Set(windows.map((window) => window.windowId)));
      expect(alertsSeen.every((alert) => alert.provider === 'openai' && alert.model === 'gpt-e2e' && alert.evidence[0] === alert.windowId)).toBe(true);
      expect(alertsSeen.every((alert) => alert.timings.ttftMs > 0 && alert.usage.inputTokens > 0)).toBe(true);
    });
  }, 120_000);

  it('loses nothing and duplicates no alert when an analyzer is SIGKILLed while it holds jobs', async () => {
    await dumpOnFailure(async () => {
      const victim = processes.find((service) => service.name === 'analyzer-1');
      if (!victim) throw new Error('no analyzer-1');
      delayMs = 2_500;
      await sendMessages(200);
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
      const windows = jobs.map(({ data }) => data.window.windowId);
      expect(new Set(windows).size).toBe(windows.length);
      expect(jobs.some(({ job }) => (job.stalledCounter ?? 0) > 0 || job.attemptsStarted > 1)).toBe(true);

      // The durable log holds exactly one alert per window: none lost, none duplicated.
      const log = await redis.xrange(`${NAMESPACE}:alerts:log`, '-', '+');
      const logged = log.map(([, fields]) => Alert.parse(JSON.parse(fields[1] ?? '')));
      const ids = logged.map((alert) => alert.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(logged.map((alert) => alert.windowId))).toEqual(new Set(windows));
      expect(jobs.filter(({ result }) => result.analyzer === 'analyzer-2').length).toBeGreaterThan(0);
    });
  }, 150_000);
});
