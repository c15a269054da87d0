/**
 * A mixed fleet as separate OS processes: streams bound to different
 * providers, and analyzers that each hold one provider's key. Every job runs
 * on an analyzer holding its provider; a 429 storm on one provider leaves the
 * other's windows on time; a stream whose provider nobody serves gets an
 * event, never an alert from someone else; `turbostream streams set` switches
 * a stream's model with no restart.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert, OpsEvent, StreamStatus, WindowJob, WindowJobResult } from '@turbostream/contracts';
import {
  anthropicMessages,
  chatMessages,
  type FakeAnthropic,
  type FakeOpenAI,
  startFakeAnthropic,
  startFakeOpenAI,
  waitFor,
} from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSource } from './support/fake-source.js';
import { keysContaining } from './support/redis-scan.js';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';
import { alertCitingWindow } from './support/window-answers.js';

const NAMESPACE = 'fleet';
const OPENAI_KEY = 'sk-fleet-openai-0123456789';
const ANTHROPIC_KEY = 'sk-ant-fleet-0123456789';

describe('mixed fleet across processes', () => {
  let subscriber: Redis;
  let openai: FakeOpenAI;
  let anthropic: FakeAnthropic;
  const sources: Record<string, FakeSource> = {};
  const processes: ServiceProcess[] = [];
  const alerts: Array<Alert & { receivedAt: number }> = [];
  const events: OpsEvent[] = [];
  let openaiStorm = false;
  let cwd: string;
  let env: Record<string, string>;
  const queues: Record<string, Queue> = {};

  const send = async (streamId: string, count: number) => {
    const source = sources[streamId];
    if (!source) throw new Error(streamId);
    for (let index = 0; index < count; index += 1)
      await source.send(JSON.stringify({ streamId, n: index, at: Date.now() }));
  };

  /** Sends `rounds` bursts of 5 messages to each stream, a burst every 250 ms (windows close at 1 s). */
  const load = async (streamIds: string[], rounds: number) => {
    for (let round = 0; round < rounds; round += 1) {
      for (const streamId of streamIds) await send(streamId, 5);
      await new Promise((resolve) => setTimeout(resolve, 250)); // pacing the load, not a wait
    }
  };

  const latencies = (streamId: string, since: number) =>
    alerts
      .filter((alert) => alert.streamId === streamId && alert.receivedAt >= since)
      .map((alert) => alert.receivedAt - Date.parse(alert.window.to));

  const completed = async (provider: string) => {
    const queue = queues[provider];
    if (!queue) throw new Error(provider);
    return (await queue.getJobs(['completed'], 0, -1)).map((job) => ({
      data: WindowJob.parse(job.data),
      result: WindowJobResult.parse(job.returnvalue),
      processedBy: job.processedBy,
    }));
  };

  redisTest.beforeAll(async ({ server }) => {
    assertCliBuilt();
    subscriber = server.client();
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === `${NAMESPACE}:alerts`)
        alerts.push({ ...Alert.parse(JSON.parse(message)), receivedAt: Date.now() });
      else events.push(OpsEvent.parse(JSON.parse(message)));
    });
    await subscriber.subscribe(`${NAMESPACE}:alerts`, `${NAMESPACE}:events`);
    for (const id of ['alpha', 'beta', 'gamma']) sources[id] = await FakeSource.start();
    openai = await startFakeOpenAI({
      apiKey: OPENAI_KEY,
      handler: (request) =>
        openaiStorm
          ? {
              status: 429,
              headers: { 'retry-after': '1' },
              error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
            }
          : {
              content: alertCitingWindow(
                chatMessages(request).find((message) => message.role === 'user')?.content ?? '',
              ),
              firstTokenDelayMs: 150,
            },
    });
    anthropic = await startFakeAnthropic({
      apiKey: ANTHROPIC_KEY,
      handler: (request) => ({
        content: alertCitingWindow(
          anthropicMessages(request).find((message) => message.role === 'user')?.content ?? '',
        ),
        firstTokenDelayMs: 150,
      }),
    });
    cwd = mkdtempSync(join(tmpdir(), 'turbostream-fleet-'));
    const stream = (id: string, provider: string, model: string) =>
      `  - id: ${id}\n    source: { url: ${sources[id]?.url} }\n    window: { maxMessages: 50, maxSeconds: 1 }\n` +
      `    analysis: { provider: ${provider}, model: ${model} }\n`;
    writeFileSync(
      join(cwd, 'streams.yaml'),
      `streams:\n${stream('alpha', 'openai', 'gpt-alpha')}` +
        `${stream('beta', 'anthropic', 'claude-beta')}${stream('gamma', 'mistral', 'mistral-gamma')}`,
    );
    env = {
      REDIS_URL: server.url,
      TURBOSTREAM_NAMESPACE: NAMESPACE,
      TURBOSTREAM_ENV_FILE: '/dev/null',
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_BASE_URL: anthropic.url,
      LOG_FORMAT: 'json',
      WINDOWER_POLL_MS: '50',
      ANALYZER_CONCURRENCY: '4',
      ANALYZER_LOCK_MS: '5000',
    };
    const spawn = (name: string, command: string, extra: Record<string, string>) =>
      processes.push(
        new ServiceProcess(name, [command], { cwd, env: { ...env, TURBOSTREAM_INSTANCE_ID: name, ...extra } }),
      );
    spawn('analyzer-openai', 'analyzer', { OPENAI_API_KEY: OPENAI_KEY });
    spawn('analyzer-anthropic', 'analyzer', { ANTHROPIC_API_KEY: ANTHROPIC_KEY });
    spawn('windower', 'windower', {});
    spawn('ingest', 'ingest', {});
    for (const provider of ['openai', 'anthropic', 'mistral'])
      queues[provider] = new Queue(`analysis-${provider}`, { connection: server.client(), prefix: `{${NAMESPACE}}` });
    await waitFor(() => Object.values(sources).every((source) => source.clients === 1), {
      timeoutMs: 20_000,
      description: 'ingest connected to the three sources',
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((service) => service.stop()));
    await Promise.all(Object.values(queues).map((queue) => queue.close()));
    subscriber?.disconnect();
    await openai?.close();
    await anthropic?.close();
    await Promise.all(Object.values(sources).map((source) => source.close()));
  });

  const dumpOnFailure = <T>(body: () => Promise<T>): Promise<T> => dumpOutputsOnFailure(processes, body);

  it('runs every job on an analyzer that holds its provider, with that provider and model only', async () => {
    await dumpOnFailure(async () => {
      await load(['alpha', 'beta', 'gamma'], 16);
      await waitFor(async () => (await completed('openai')).length >= 3 && (await completed('anthropic')).length >= 3, {
        timeoutMs: 30_000,
        description: 'windows of alpha and beta analysed',
      });
      // The alerts of both streams have arrived: the checks on them below are not vacuous.
      await waitFor(() => ['alpha', 'beta'].every((streamId) => alerts.some((alert) => alert.streamId === streamId)), {
        description: 'alerts of alpha and beta',
      });
      for (const job of await completed('openai')) {
        expect(job.processedBy).toBe('analyzer-openai');
        expect(job.data.target).toEqual({ provider: 'openai', model: 'gpt-alpha' });
        expect(job.data.window.streamId).toBe('alpha');
      }
      for (const job of await completed('anthropic')) {
        expect(job.processedBy).toBe('analyzer-anthropic');
        expect(job.data.target).toEqual({ provider: 'anthropic', model: 'claude-beta' });
      }
      expect(
        alerts
          .filter((alert) => alert.streamId === 'alpha')
          .every((alert) => alert.provider === 'openai' && alert.model === 'gpt-alpha'),
      ).toBe(true);
      expect(
        alerts
          .filter((alert) => alert.streamId === 'beta')
          .every((alert) => alert.provider === 'anthropic' && alert.model === 'claude-beta'),
      ).toBe(true);
      expect(openai.requests.every((request) => (request.body as { model?: string }).model === 'gpt-alpha')).toBe(true);
      expect(anthropic.requests.every((request) => (request.body as { model?: string }).model === 'claude-beta')).toBe(
        true,
      );
    });
  }, 60_000);

  redisTest(
    'reports a stream whose provider no analyzer serves within 30 s, and never analyses it with another provider',
    async ({ redis }) => {
      await dumpOnFailure(async () => {
        const event = await waitFor(
          () =>
            events.find((candidate) => candidate.type === 'provider.unconfigured' && candidate.streamId === 'gamma'),
          { timeoutMs: 30_000, description: 'provider.unconfigured for gamma' },
        );
        expect(event.message).toContain('no live analyzer serves provider mistral');
        expect(event.message).toContain('MISTRAL_API_KEY');
        // The windower publishes the event first and writes the stream status on its next status write.
        const status = await waitFor(
          async () => {
            const raw = await redis.get(`${NAMESPACE}:{${NAMESPACE}:gamma}:status`);
            const parsed = raw ? StreamStatus.parse(JSON.parse(raw)) : undefined;
            return parsed && parsed.unserved.length > 0 ? parsed : undefined;
          },
          { timeoutMs: 10_000, description: 'the gamma status naming the unserved provider' },
        );
        expect(status.unserved).toMatchObject([
          { provider: 'mistral', model: 'mistral-gamma', variables: ['MISTRAL_API_KEY'] },
        ]);
        expect(await queues.mistral?.getWaitingCount()).toBeGreaterThan(0);
        expect(alerts.some((alert) => alert.streamId === 'gamma')).toBe(false);
        const listed = new ServiceProcess('streams', ['streams'], { cwd, env });
        await listed.exited;
        expect(listed.output).toContain('MISSING   no live analyzer serves mistral (model mistral-gamma)');
      });
    },
    60_000,
  );

  // Whether the healthy provider stays as fast during the storm is a figure, not an assertion:
  // `npm run bench:isolation` prints its latency calm vs storm (BENCHMARKS.md).
  it('goes on analysing the healthy provider windows through a 429 storm on the other, and the storm provider ' +
    'jobs wait without using attempts', async () => {
    await dumpOnFailure(async () => {
      openaiStorm = true;
      const stormStart = Date.now();
      await load(['alpha', 'beta'], 16);
      await waitFor(() => latencies('beta', stormStart).length >= 4, {
        timeoutMs: 15_000,
        description: 'beta alerts during the storm',
      });
      const waiting = await queues.openai?.getJobs(['delayed', 'waiting'], 0, -1);
      expect(waiting?.length).toBeGreaterThan(0);
      expect(waiting?.every((job) => job.attemptsMade === 0)).toBe(true);
      expect(await queues.openai?.getFailedCount()).toBe(0);

      openaiStorm = false;
      await waitFor(
        async () =>
          (await queues.openai?.getJobCounts('waiting', 'delayed', 'active'))?.waiting === 0 &&
          (await queues.openai?.getDelayedCount()) === 0 &&
          (await queues.openai?.getActiveCount()) === 0,
        {
          timeoutMs: 30_000,
          intervalMs: 200,
          description: 'alpha analysed after the storm',
        },
      );
      expect(await queues.openai?.getFailedCount()).toBe(0);
    });
  }, 90_000);

  it('switches a stream to another provider and model with `turbostream streams set`, from the next window on, ' +
    'with no restart', async () => {
    await dumpOnFailure(async () => {
      const set = new ServiceProcess(
        'streams-set',
        ['streams', 'set', 'alpha', '--provider', 'anthropic', '--model', 'claude-switched'],
        { cwd, env },
      );
      expect(await set.exited).toBe(0);
      await waitFor(
        () => events.some((event) => event.type === 'stream.targets-changed' && event.streamId === 'alpha'),
        { timeoutMs: 10_000, description: 'targets-changed event' },
      );
      const switchedAt = Date.now();
      await load(['alpha'], 12);
      // Every window that starts after the switch is analysed by the new target only.
      const afterSwitch = () =>
        alerts.filter((alert) => alert.streamId === 'alpha' && Date.parse(alert.window.from) > switchedAt);
      await waitFor(() => afterSwitch().length >= 2, {
        timeoutMs: 20_000,
        description: 'alpha alerts for windows after the switch',
      });
      expect(afterSwitch().every((alert) => alert.provider === 'anthropic' && alert.model === 'claude-switched')).toBe(
        true,
      );
      const jobs = await completed('anthropic');
      expect(
        jobs
          .filter((job) => job.data.window.streamId === 'alpha')
          .every((job) => job.processedBy === 'analyzer-anthropic'),
      ).toBe(true);
      expect(processes.every((service) => service.running)).toBe(true);
    });
  }, 60_000);

  redisTest('never lets an API key into logs, job data, alerts, events or any other Redis key', async ({ redis }) => {
    for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) {
      for (const service of processes) expect(service.output.includes(key), `${service.name} output`).toBe(false);
      expect(await keysContaining(redis, key)).toEqual([]);
      expect(JSON.stringify([alerts, events]).includes(key)).toBe(false);
    }
    expect(await keysContaining(redis, 'gpt-alpha')).not.toEqual([]);
  });
});
