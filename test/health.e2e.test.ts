/**
 * Health endpoints and graceful shutdown of `turbostream` processes: each
 * service answers /healthz and /readyz on HEALTH_PORT; on SIGTERM readiness
 * fails first, work in flight finishes within SHUTDOWN_TIMEOUT_MS, work that
 * cannot is handed back (no attempt used) for another replica, and the
 * process exits 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WindowJob, WindowJobResult } from '@turbostream/contracts';
import { analysisJobOptions, analysisQueueName, queueOptions } from '@turbostream/queue';
import { parseMetricsText } from '@turbostream/metrics';
import { createKeyLayout } from '@turbostream/redis';
import {
  chatMessages,
  type FakeOpenAI,
  freePort,
  type RedisServer,
  startFakeOpenAI,
  waitFor,
} from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect } from 'vitest';
import { FakeSource } from './support/fake-source.js';
import { assertCliBuilt, ServiceProcess } from './support/service-process.js';

const API_KEY = 'sk-health-e2e-0123456789';
/**
 * Instructions carry `[slow:<token>:<ms>]`: the fake model waits that long before its first token, on the first request
 * only.
 */
const SLOW_MARK = /\[slow:([\w-]+):(\d+)\]/;
const BASE = 1_760_000_000_000;

interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** GET on the loopback health port; `undefined` while nothing listens. */
async function probe(port: number, path: '/healthz' | '/readyz'): Promise<HttpAnswer | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3_000) });
    const parsed: unknown = JSON.parse(await response.text());
    return {
      status: response.status,
      body: typeof parsed === 'object' && parsed !== null ? Object.fromEntries(Object.entries(parsed)) : {},
    };
  } catch {
    return undefined;
  }
}

function windowJob(instructions: string): WindowJob {
  const messages = Array.from({ length: 5 }, (_, index) => ({
    id: `${BASE + index}-0`,
    data: JSON.stringify({ seq: index }),
    receivedAt: BASE + index,
  }));
  return {
    v: 1,
    target: { provider: 'openai', model: 'gpt-health' },
    instructions,
    enqueuedAt: BASE + 10,
    window: {
      streamId: 'health',
      windowId: `${BASE}-0`,
      firstEntryId: `${BASE}-0`,
      lastEntryId: `${BASE + 4}-0`,
      closedBy: 'messages',
      bytes: 100,
      from: BASE,
      to: BASE + 4,
      messages,
      gaps: [],
    },
  };
}

describe('health endpoints and graceful shutdown (processes)', () => {
  let redisServer: RedisServer;
  let llm: FakeOpenAI;
  let source: FakeSource;
  let cwd: string;
  const slowSeen = new Set<string>();
  const processes: ServiceProcess[] = [];
  const queues: Queue[] = [];

  const baseEnv = () => ({
    REDIS_URL: redisServer.url,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: llm.url,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    WINDOWER_POLL_MS: '50',
    ANALYZER_CONCURRENCY: '2',
    LLM_TIMEOUT_MS: '30000',
  });

  const spawn = (name: string, command: string, env: Record<string, string>) => {
    const service = new ServiceProcess(name, [command], {
      cwd,
      env: { ...baseEnv(), TURBOSTREAM_INSTANCE_ID: name, ...env },
    });
    processes.push(service);
    return service;
  };

  const queueFor = (namespace: string) => {
    const queue = new Queue(analysisQueueName('openai'), {
      connection: redisServer.client(),
      ...queueOptions(createKeyLayout(namespace)),
    });
    queues.push(queue);
    return queue;
  };

  /** Requests the fake model received whose prompt carries `token`. */
  const requestsFor = (token: string) =>
    llm.requests.filter((request) => chatMessages(request).some((message) => message.content.includes(token))).length;

  const ready = (port: number, service: ServiceProcess) =>
    waitFor(
      async () => {
        if (!service.running) throw new Error(`${service.name} exited ${service.child.exitCode}`);
        const answer = await probe(port, '/readyz');
        return answer?.status === 200 ? answer : undefined;
      },
      { timeoutMs: 20_000, description: `${service.name} /readyz 200` },
    );

  /** SIGTERM; resolves with the exit code and how long the process took to exit. */
  const terminate = async (service: ServiceProcess) => {
    const sentAt = Date.now();
    service.child.kill('SIGTERM');
    const code = await service.exited;
    return { code, tookMs: Date.now() - sentAt };
  };

  redisTest.beforeAll(async ({ server }) => {
    assertCliBuilt();
    redisServer = server;
    source = await FakeSource.start();
    llm = await startFakeOpenAI({
      apiKey: API_KEY,
      handler: (request) => {
        const prompt = chatMessages(request)
          .map((message) => message.content)
          .join('\n');
        const slow = SLOW_MARK.exec(prompt);
        let firstTokenDelayMs = 20;
        if (slow?.[1] && !slowSeen.has(slow[1])) {
          slowSeen.add(slow[1]);
          firstTokenDelayMs = Number(slow[2]);
        }
        return {
          content: JSON.stringify({
            alerts: [{ severity: 'info', title: 'seen', summary: 'seen by the fake model', evidence: ['1'] }],
          }),
          firstTokenDelayMs,
        };
      },
    });
    cwd = mkdtempSync(join(tmpdir(), 'turbostream-health-'));
    writeFileSync(
      join(cwd, 'streams.yaml'),
      `streams:\n  - id: health\n    source: { url: ${source.url} }\n    window: { maxMessages: 10, maxSeconds: ` +
        `1 }\n    analysis: { provider: openai, model: gpt-health, instructions: Flag every window. }\n`,
    );
  });

  afterEach(({ task }) => {
    if (task.result?.state === 'fail') {
      for (const service of processes)
        process.stderr.write(`\n----- ${service.name} -----\n${service.output.slice(-6_000)}\n`);
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((service) => service.kill()));
    await Promise.all(queues.map((queue) => queue.close()));
    await llm?.close();
    await source?.close();
  });

  redisTest(
    'an analyzer answers /healthz and /readyz with 200 once started, and exits 0 on SIGTERM',
    async ({ namespace }) => {
      const port = await freePort();
      const analyzer = spawn('analyzer-health', 'analyzer', {
        TURBOSTREAM_NAMESPACE: namespace,
        HEALTH_PORT: String(port),
      });
      const readiness = await ready(port, analyzer);
      expect(readiness.body).toEqual({
        status: 'ready',
        failing: [],
        checks: { started: 'ok', draining: 'ok', redis: 'ok' },
      });
      expect(await probe(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      const { code } = await terminate(analyzer);
      expect(code).toBe(0);
      expect(await probe(port, '/healthz')).toBeUndefined();
    },
    40_000,
  );

  redisTest(
    'on SIGTERM turns /readyz to 503 while it finishes the job in flight, then exits 0',
    async ({ namespace }) => {
      const port = await freePort();
      const analyzer = spawn('analyzer-drain', 'analyzer', {
        TURBOSTREAM_NAMESPACE: namespace,
        HEALTH_PORT: String(port),
        SHUTDOWN_TIMEOUT_MS: '20000',
      });
      await ready(port, analyzer);
      const queue = queueFor(namespace);
      await queue.add('window', windowJob(`Flag every window. [slow:${namespace}:2000]`), {
        ...analysisJobOptions(3),
        jobId: 'drain-1',
      });
      await waitFor(() => requestsFor(namespace) === 1, {
        timeoutMs: 10_000,
        description: 'the job to reach the model',
      });

      const stopping = terminate(analyzer);
      const draining = await waitFor(
        async () => {
          const answer = await probe(port, '/readyz');
          return answer?.status === 503 ? answer : undefined;
        },
        { intervalMs: 20, timeoutMs: 5_000, description: '/readyz 503 while draining' },
      );
      expect(draining.body).toMatchObject({ status: 'not ready', failing: ['draining'] });
      expect((await probe(port, '/healthz'))?.status).toBe(200);
      expect(analyzer.running).toBe(true);

      const { code } = await stopping;
      expect(code).toBe(0);
      const job = await queue.getJob('drain-1');
      expect(await job?.getState()).toBe('completed');
      expect(WindowJobResult.parse(job?.returnvalue).analyzer).toBe('analyzer-drain');
      expect(requestsFor(namespace)).toBe(1);
    },
    60_000,
  );

  redisTest(
    'hands back a job it cannot finish by the shutdown deadline, without using an attempt; another analyzer ' +
      'completes it',
    async ({ namespace }) => {
      const deadlineMs = 500;
      const first = spawn('analyzer-short', 'analyzer', {
        TURBOSTREAM_NAMESPACE: namespace,
        HEALTH_PORT: String(await freePort()),
        SHUTDOWN_TIMEOUT_MS: String(deadlineMs),
      });
      const queue = queueFor(namespace);
      await queue.add('window', windowJob(`Flag every window. [slow:${namespace}:30000]`), {
        ...analysisJobOptions(3),
        jobId: 'handback-1',
      });
      await waitFor(() => requestsFor(namespace) === 1, {
        timeoutMs: 20_000,
        description: 'the job to reach the model',
      });

      const { code, tookMs } = await terminate(first);
      expect(code).toBe(0);
      // Far below the model's 30 s: the deadline, not the job, ended the drain.
      expect(tookMs).toBeLessThan(deadlineMs + 10_000);
      const handedBack = await queue.getJob('handback-1');
      expect(['delayed', 'waiting', 'wait', 'prioritized']).toContain(await handedBack?.getState());
      expect(handedBack?.attemptsMade).toBe(0);
      expect(handedBack?.failedReason ?? '').toBe('');
      expect(first.output).toContain('job handed back');

      spawn('analyzer-rescue', 'analyzer', { TURBOSTREAM_NAMESPACE: namespace });
      // The state first, the job after: a job read while still active and found completed a moment
      // later keeps the hash it was read with, whose returnvalue is still null (BullMQ sets the
      // returnvalue and the completed state in one script, so a job read after completion has both).
      await waitFor(async () => (await queue.getJobState('handback-1')) === 'completed', {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: 'the handed-back job completed by another analyzer',
      });
      const done = await queue.getJob('handback-1');
      if (!done) throw new Error('the completed job is gone');
      expect(WindowJobResult.parse(done.returnvalue).analyzer).toBe('analyzer-rescue');
      expect(WindowJob.parse(done.data).window.windowId).toBe(`${BASE}-0`);
      expect(requestsFor(namespace)).toBe(2);
    },
    90_000,
  );

  redisTest(
    'ingest and windower answer their health endpoints and exit 0 on SIGTERM',
    async ({ namespace }) => {
      const ports = { ingest: await freePort(), windower: await freePort() };
      const windower = spawn('windower-health', 'windower', {
        TURBOSTREAM_NAMESPACE: namespace,
        HEALTH_PORT: String(ports.windower),
        SHUTDOWN_TIMEOUT_MS: '3000',
      });
      const ingest = spawn('ingest-health', 'ingest', {
        TURBOSTREAM_NAMESPACE: namespace,
        HEALTH_PORT: String(ports.ingest),
        SHUTDOWN_TIMEOUT_MS: '3000',
      });
      for (const [service, port] of [
        [windower, ports.windower],
        [ingest, ports.ingest],
      ] as const) {
        expect((await ready(port, service)).body).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
        expect(await probe(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      }
      // Data flows while they run: a message becomes a window job.
      await waitFor(() => source.clients > 0, { description: 'ingest connected' });
      const queue = queueFor(namespace);
      await source.send(JSON.stringify({ seq: 1 }));
      await waitFor(async () => (await queue.count()) + (await queue.getCompletedCount()) > 0, {
        timeoutMs: 15_000,
        description: 'a window job',
      });

      const results = await Promise.all([terminate(ingest), terminate(windower)]);
      for (const { code, tookMs } of results) {
        expect(code).toBe(0);
        expect(tookMs).toBeLessThan(3_000 + 10_000);
      }
      expect(ingest.output).toContain('ingest stopped');
      expect(windower.output).toContain('windower stopped');
    },
    60_000,
  );

  redisTest(
    'turbostream up answers its health endpoints and exits 0 on SIGTERM',
    async ({ namespace }) => {
      const port = await freePort();
      const demoDir = mkdtempSync(join(tmpdir(), 'turbostream-health-up-'));
      const up = new ServiceProcess('up-health', ['up'], {
        cwd: demoDir,
        env: {
          ...baseEnv(),
          TURBOSTREAM_ENV_FILE: '/dev/null',
          TURBOSTREAM_NAMESPACE: namespace,
          HEALTH_PORT: String(port),
          SHUTDOWN_TIMEOUT_MS: '3000',
        },
      });
      processes.push(up);
      expect((await ready(port, up)).body).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
      // One registry for the three services of the process, on the same port: the demo's messages, windows, analyses.
      const metrics = await waitFor(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/metrics`);
          const { samples } = parseMetricsText(await response.text());
          const value = (name: string, labels: Record<string, string>) =>
            samples.find(
              (sample) => sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v),
            )?.value ?? 0;
          const stream = { stream: 'demo-market' };
          const seen = {
            messages: value('turbostream_ingest_messages_total', stream),
            up: value('turbostream_source_up', stream),
            windows: value('turbostream_windower_windows_sealed_total', stream),
            completed: value('turbostream_analyses_total', { ...stream, provider: 'heuristic', outcome: 'completed' }),
            queued: samples.some((sample) => sample.name === 'turbostream_queue_jobs'),
            process: samples.some((sample) => sample.name === 'process_cpu_seconds_total'),
          };
          return seen.completed > 0 ? seen : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: 'up to analyse a demo window, as /metrics says' },
      );
      expect(metrics).toMatchObject({ up: 1, queued: true, process: true });
      expect(metrics.messages).toBeGreaterThan(0);
      expect(metrics.windows).toBeGreaterThanOrEqual(metrics.completed);
      const { code, tookMs } = await terminate(up);
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(3_000 + 10_000);
      expect(up.output).toContain('SIGTERM: stopping');
    },
    60_000,
  );
});
