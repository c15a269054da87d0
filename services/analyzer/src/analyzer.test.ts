import {
  Alert,
  type AnalysisRecord,
  alertId,
  DeadLetter,
  fieldsToObject,
  OpsEvent,
  type ProviderId,
  type WindowJob,
  WindowJobResult,
  windowJobId,
} from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { parseMetricsText, TurboMetrics } from '@turbostream/metrics';
import { type AnalysisProvider, createHeuristicProvider, createOpenAIProvider } from '@turbostream/providers';
import { ANALYSIS_JOB_OPTIONS, analysisQueueName } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout, readAnalysisLog } from '@turbostream/redis';
import { type FakeOpenAI, type RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect } from 'vitest';
import { Analyzer } from './analyzer.js';

const BASE = 1_764_102_000_000;
const API_KEY = 'sk-test-analyzer-0123456789abcdef';

function windowJob(provider: ProviderId, model: string, streamId = 'btc-trades'): WindowJob {
  const messages = Array.from({ length: 41 }, (_, index) => ({
    id: `${BASE + index * 10}-0`,
    data: JSON.stringify({ s: 'BTCUSDT', p: (index === 23 ? 64_210 : 61_200 + (((index * 37) % 21) - 10)).toFixed(1) }),
    receivedAt: BASE + index * 10,
  }));
  return {
    v: 1,
    target: { provider, model },
    instructions: 'Alert on price outliers.',
    enqueuedAt: BASE + 500,
    window: {
      streamId,
      windowId: `${BASE}-0`,
      firstEntryId: `${BASE}-0`,
      lastEntryId: `${BASE + 400}-0`,
      closedBy: 'messages',
      bytes: 1000,
      from: BASE,
      to: BASE + 400,
      messages,
      gaps: [],
    },
  };
}

describe('Analyzer (real redis-server, real BullMQ)', () => {
  let server: RedisServer;
  let namespace: string;
  let fake: FakeOpenAI;
  const cleanups: (() => Promise<unknown>)[] = [];
  redisTest.beforeAll(async ({ server: fileServer }) => {
    server = fileServer;
    fake = await startFakeOpenAI({ apiKey: API_KEY });
  });
  redisTest.beforeEach(({ namespace: testNamespace }) => {
    namespace = testNamespace;
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });
  afterAll(async () => {
    await fake.close();
  });

  function client(): Redis {
    const redis = server.client();
    redis.on('error', () => {});
    cleanups.push(async () => redis.disconnect());
    return redis;
  }

  interface Setup {
    keys: KeyLayout;
    redis: Redis;
    analyzer: Analyzer;
    queue: (provider: ProviderId) => Queue;
    /** The sum of a metric's samples with these labels, as /metrics would serve them now. */
    metric: (name: string, labels?: Record<string, string>) => Promise<number>;
  }

  async function setup(
    providers: AnalysisProvider[],
    extra: { drainTimeoutMs?: number; instanceId?: string; keys?: KeyLayout } = {},
  ): Promise<Setup> {
    const keys = extra.keys ?? createKeyLayout(namespace);
    const redis = client();
    const connection = client();
    const metrics = new TurboMetrics();
    const analyzer = new Analyzer({
      redis,
      connection,
      keys,
      metrics,
      logger: createLogger({ level: 'silent' }),
      providers: new Map(providers.map((provider) => [provider.id, provider])),
      settings: { concurrency: 2, lockMs: 5_000, attempts: 3 },
      llm: { maxTokens: 500, temperature: 0, timeoutMs: 5_000 },
      instanceId: extra.instanceId ?? 'analyzer-test-1',
      ...(extra.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: extra.drainTimeoutMs }),
    });
    cleanups.push(() => analyzer.close());
    await analyzer.start();
    const queues = new Map<ProviderId, Queue>();
    const queue = (provider: ProviderId) => {
      let found = queues.get(provider);
      if (!found) {
        found = new Queue(analysisQueueName(provider), {
          connection: client(),
          prefix: keys.queuePrefix,
          defaultJobOptions: ANALYSIS_JOB_OPTIONS,
        });
        found.on('error', () => {});
        const created = found;
        cleanups.push(() => created.close());
        queues.set(provider, found);
      }
      return found;
    };
    const metric = async (name: string, labels: Record<string, string> = {}) =>
      parseMetricsText(await metrics.text())
        .samples.filter(
          (sample) =>
            sample.name === name && Object.entries(labels).every(([key, want]) => sample.labels[key] === want),
        )
        .reduce((sum, sample) => sum + sample.value, 0);
    return { keys, redis, analyzer, queue, metric };
  }

  async function stateOf(queue: Queue, jobId: string): Promise<string> {
    return (await queue.getJob(jobId))?.getState() ?? 'missing';
  }

  async function alertLog(redis: Redis, keys: KeyLayout): Promise<Alert[]> {
    const entries = await redis.xrange(keys.alertLog, '-', '+');
    return entries.map(([, fields]) => Alert.parse(JSON.parse(fieldsToObject(fields).alert ?? 'null')));
  }

  async function records(redis: Redis, keys: KeyLayout): Promise<AnalysisRecord[]> {
    const read = await readAnalysisLog(redis, keys, { from: 0 });
    expect(read.unreadable).toBe(0);
    return read.analyses.map(({ record }) => record);
  }

  async function events(redis: Redis, keys: KeyLayout): Promise<OpsEvent[]> {
    const entries = await redis.xrange(keys.eventLog, '-', '+');
    return entries.map(([, fields]) => OpsEvent.parse(JSON.parse(fieldsToObject(fields).event ?? 'null')));
  }

  redisTest('analyses a heuristic job and publishes the alert on the channel and in the log', async () => {
    const { keys, redis, queue } = await setup([createHeuristicProvider()]);
    const subscriber = client();
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe(keys.alertsChannel);

    const data = windowJob('heuristic', 'robust-z');
    const jobId = windowJobId(data.window.streamId, data.window.windowId, data.target);
    await queue('heuristic').add('window', data, { jobId });
    await waitFor(async () => (await stateOf(queue('heuristic'), jobId)) === 'completed', {
      description: 'job completed',
    });

    const expectedId = alertId('btc-trades', `${BASE}-0`, data.target, 0);
    const [alert, ...others] = await alertLog(redis, keys);
    expect(others).toEqual([]);
    expect(alert).toMatchObject({
      v: 1,
      id: expectedId,
      streamId: 'btc-trades',
      windowId: `${BASE}-0`,
      severity: 'critical',
      title: 'p outlier: 64210 vs median 61200',
      evidence: [`${BASE + 230}-0`],
      provider: 'heuristic',
      model: 'robust-z',
      window: { messages: 41, from: new Date(BASE).toISOString(), to: new Date(BASE + 400).toISOString() },
      // The heuristic calls no LLM: its price is 0, so its cost is 0, not unknown.
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    expect(alert?.timings.queuedMs).toBeGreaterThanOrEqual(0);
    await waitFor(() => received.length === 1, { description: 'alert on the channel' });
    expect(Alert.parse(JSON.parse(received[0] ?? 'null')).id).toBe(expectedId);

    const job = await queue('heuristic').getJob(jobId);
    expect(job?.processedBy).toBe('analyzer-test-1');
    expect(WindowJobResult.parse(job?.returnvalue)).toMatchObject({
      v: 1,
      analyzer: 'analyzer-test-1',
      alertIds: [expectedId],
      published: 1,
      costUsd: 0,
    });
    // One compact record of the outcome for `turbostream report`: no window, no alert text.
    expect(await records(redis, keys)).toEqual([
      {
        v: 1,
        outcome: 'completed',
        jobId,
        streamId: 'btc-trades',
        windowId: `${BASE}-0`,
        provider: 'heuristic',
        model: 'robust-z',
        messages: 41,
        analyzer: 'analyzer-test-1',
        ttftMs: expect.any(Number),
        totalMs: expect.any(Number),
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        alerts: [{ severity: 'critical', evidence: [`${BASE + 230}-0`] }],
      },
    ]);
  });

  redisTest('completes its jobs when the outcome cannot be recorded (best effort)', async () => {
    const { keys, redis, queue } = await setup([createHeuristicProvider()]);
    await redis.set(keys.analyses, 'not a stream'); // every XADD to it fails (WRONGTYPE)
    const data = windowJob('heuristic', 'robust-z');
    const jobId = windowJobId(data.window.streamId, data.window.windowId, data.target);
    await queue('heuristic').add('window', data, { jobId });
    await waitFor(async () => (await stateOf(queue('heuristic'), jobId)) === 'completed', {
      description: 'job completed',
    });
    expect(await alertLog(redis, keys)).toHaveLength(1);
  });

  redisTest(
    'looks for the jobs of a crashed analyzer four times per lock period, so they are taken over within about ' +
      '1.25 x the lock',
    async () => {
      const { keys, redis } = await setup([createHeuristicProvider()]);
      // BullMQ's stalled check (which hands the jobs of an expired lock back to the queue) holds this key for one check
      // interval.
      const checkKey = `${keys.queuePrefix}:${analysisQueueName('heuristic')}:stalled-check`;
      await waitFor(async () => (await redis.pttl(checkKey)) > 0, { description: 'a first stalled check' });
      const intervalMs = await redis.pttl(checkKey);
      // lockMs is 5000 here: a job is back in the queue at most one interval after its lock expired.
      expect(intervalMs).toBeGreaterThan(0);
      expect(intervalMs).toBeLessThanOrEqual(5_000 / 4);
    },
  );

  redisTest('publishes an alert once when the same window is processed twice', async () => {
    const keys = createKeyLayout(namespace);
    const first = await setup([createHeuristicProvider()], { keys, instanceId: 'analyzer-a' });
    await setup([createHeuristicProvider()], { keys, instanceId: 'analyzer-b' });
    const data = windowJob('heuristic', 'robust-z');
    const jobId = windowJobId(data.window.streamId, data.window.windowId, data.target);
    const queue = first.queue('heuristic');
    await queue.add('window', data, { jobId });
    await waitFor(async () => (await stateOf(queue, jobId)) === 'completed', { description: 'first run' });
    await (await queue.getJob(jobId))?.remove();
    await queue.add('window', data, { jobId });
    await waitFor(async () => (await stateOf(queue, jobId)) === 'completed', { description: 'second run' });
    // And a copy under another job id, as a windower bug might produce, taken by either analyzer.
    await queue.add('window', data, { jobId: `${jobId}.copy` });
    await waitFor(async () => (await stateOf(queue, `${jobId}.copy`)) === 'completed', { description: 'copy run' });

    expect((await alertLog(first.redis, keys)).map((alert) => alert.id)).toEqual([
      alertId('btc-trades', `${BASE}-0`, data.target, 0),
    ]);
    expect(WindowJobResult.parse((await queue.getJob(jobId))?.returnvalue).published).toBe(0);
    // Each run is recorded; the job id, the same for both runs of the job, lets the report count the window once.
    expect((await records(first.redis, keys)).map((record) => [record.outcome, record.jobId])).toEqual([
      ['completed', jobId],
      ['completed', jobId],
      ['completed', `${jobId}.copy`],
    ]);
  });

  redisTest('fails invalid job data for good, with a dead letter and a window.failed event', async () => {
    const { keys, redis, queue, metric } = await setup([createHeuristicProvider()]);
    const invalid = { ...windowJob('heuristic', 'robust-z'), v: 2 };
    await queue('heuristic').add('window', invalid, { jobId: 'invalid-1' });
    await waitFor(async () => (await stateOf(queue('heuristic'), 'invalid-1')) === 'failed', {
      description: 'job failed',
    });
    const job = await queue('heuristic').getJob('invalid-1');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/^invalid-job: v: /);

    const letters = await redis.xrange(keys.deadLetters, '-', '+');
    expect(letters).toHaveLength(1);
    const letter = DeadLetter.parse(fieldsToObject(letters[0]?.[1] ?? []));
    expect(letter).toMatchObject({ streamId: 'btc-trades', reason: 'invalid-job', sampleEncoding: 'utf8' });
    expect(letter.detail).toContain('v:');

    const failed = await waitFor(
      async () => (await events(redis, keys)).find((event) => event.type === 'window.failed'),
      { description: 'window.failed event' },
    );
    expect(failed).toMatchObject({
      service: 'analyzer',
      streamId: 'btc-trades',
      details: { windowId: `${BASE}-0`, provider: 'heuristic', model: 'robust-z' },
    });
    expect(String(failed.details?.reason)).toMatch(/^invalid-job/);
    expect(await metric('turbostream_dead_letters_total', { stream: 'btc-trades', reason: 'invalid-job' })).toBe(1);
    expect(
      await metric('turbostream_analyses_total', { stream: 'btc-trades', provider: 'heuristic', outcome: 'failed' }),
    ).toBe(1);
  });

  redisTest('fails a job for good on a permanent provider error and says why, without the key', async () => {
    const { keys, redis, queue } = await setup([
      createOpenAIProvider({ apiKey: 'sk-wrong-key-0123456789abcdef', baseURL: fake.url }),
    ]);
    const data = windowJob('openai', 'gpt-4.1-mini');
    await queue('openai').add('window', data, { jobId: 'permanent-1' });
    await waitFor(async () => (await stateOf(queue('openai'), 'permanent-1')) === 'failed', {
      description: 'job failed',
    });
    const job = await queue('openai').getJob('permanent-1');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/^permanent: openai answered HTTP 401/);
    const failed = await waitFor(
      async () => (await events(redis, keys)).find((event) => event.type === 'window.failed'),
      { description: 'window.failed event' },
    );
    expect(failed.details).toMatchObject({ provider: 'openai', model: 'gpt-4.1-mini', windowId: `${BASE}-0` });
    expect(JSON.stringify(failed)).not.toContain('sk-wrong-key-0123456789abcdef');
    expect(await alertLog(redis, keys)).toEqual([]);
  });

  redisTest(
    'hands a rate-limited job back to wait without using an attempt, and limits only that provider for the time ' +
      'asked',
    async () => {
      fake.setHandler(() => ({
        status: 429,
        headers: { 'retry-after': '60' },
        error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      }));
      const { queue } = await setup([
        createOpenAIProvider({ apiKey: API_KEY, baseURL: fake.url }),
        createHeuristicProvider(),
      ]);
      const requestsBefore = fake.requests.length;
      await queue('openai').add('window', windowJob('openai', 'gpt-4.1-mini'), { jobId: 'limited-1' });
      await waitFor(
        async () =>
          fake.requests.length > requestsBefore && (await stateOf(queue('openai'), 'limited-1')) === 'waiting',
        { description: 'job handed back to wait' },
      );
      const job = await queue('openai').getJob('limited-1');
      expect(job?.attemptsMade).toBe(0);
      expect(await queue('openai').getRateLimitTtl(Number.MAX_SAFE_INTEGER)).toBeGreaterThan(50_000);
      await queue('heuristic').add('window', windowJob('heuristic', 'heuristic-v1'), { jobId: 'healthy-1' });
      await waitFor(async () => (await stateOf(queue('heuristic'), 'healthy-1')) === 'completed', {
        description: 'the other provider still served',
      });
      expect(fake.requests.length - requestsBefore).toBe(1);
    },
  );

  redisTest(
    'puts jobs back without calling a rate-limited provider while the wait lasts, even when the queue limit is ' +
      'lifted early',
    async () => {
      fake.setHandler(() => ({
        status: 429,
        headers: { 'retry-after': '30' },
        error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      }));
      const { queue } = await setup([createOpenAIProvider({ apiKey: API_KEY, baseURL: fake.url })]);
      const requestsBefore = fake.requests.length;
      await queue('openai').add('window', windowJob('openai', 'gpt-4.1-mini'), { jobId: 'cool-1' });
      await waitFor(() => fake.requests.length > requestsBefore, { description: 'the first 429' });
      await waitFor(async () => (await stateOf(queue('openai'), 'cool-1')) === 'waiting', {
        description: 'first job handed back',
      });
      // As if the queue-wide limit had ended early: jobs are taken again, and the shared gate still holds them back.
      await queue('openai').removeRateLimitKey();
      await queue('openai').add(
        'window',
        {
          ...windowJob('openai', 'gpt-4.1-mini'),
          window: { ...windowJob('openai', 'gpt-4.1-mini').window, windowId: `${BASE}-9` },
        },
        { jobId: 'cool-2' },
      );
      await waitFor(
        async () =>
          ((await queue('openai').getJob('cool-2'))?.attemptsStarted ?? 0) >= 1 &&
          (await stateOf(queue('openai'), 'cool-2')) === 'waiting',
        { description: 'second job taken and put back' },
      );
      expect((await queue('openai').getJob('cool-2'))?.attemptsMade).toBe(0);
      expect(fake.requests.length - requestsBefore).toBe(1);
    },
  );

  redisTest(
    'lets one probe call a rate-limited provider once the wait ends; the other jobs wait for its answer',
    async () => {
      const arrivals: number[] = [];
      let limited = true;
      fake.setHandler(() => {
        arrivals.push(Date.now());
        return limited
          ? {
              status: 429,
              headers: { 'retry-after-ms': '300' },
              error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
            }
          : { content: JSON.stringify({ alerts: [] }) };
      });
      const { queue } = await setup([createOpenAIProvider({ apiKey: API_KEY, baseURL: fake.url })]);
      await queue('openai').add('window', windowJob('openai', 'gpt-4.1-mini'), { jobId: 'probe-0' });
      await waitFor(async () => arrivals.length === 1 && (await stateOf(queue('openai'), 'probe-0')) === 'waiting', {
        description: 'the first 429',
      });
      const ids = Array.from({ length: 8 }, (_, index) => `probe-${index + 1}`);
      for (const [index, jobId] of ids.entries()) {
        const job = windowJob('openai', 'gpt-4.1-mini');
        await queue('openai').add(
          'window',
          { ...job, window: { ...job.window, windowId: `${BASE}-${index + 1}` } },
          { jobId },
        );
      }
      await waitFor(() => arrivals.length >= 4, { description: 'three probes', timeoutMs: 10_000 });
      const gaps = arrivals.slice(1).map((at, index) => at - (arrivals[index] ?? 0));
      expect(Math.min(...gaps), `gaps, ms: ${gaps.join(', ')}`).toBeGreaterThanOrEqual(290);
      limited = false;
      await waitFor(async () => (await queue('openai').getJobCounts('completed')).completed === 9, {
        description: 'every job analysed once the probe is answered',
        timeoutMs: 10_000,
      });
    },
  );

  redisTest('runs a rate-limited job again after the wait, and retries transient errors until they pass', async () => {
    let calls = 0;
    // Evidence cites the prompt's refs: row 1 is the window's first message; 99 was never shown.
    const answer = JSON.stringify({
      alerts: [{ severity: 'info', title: 'seen', summary: 's', evidence: ['1', '99', `${BASE}-0`] }],
    });
    fake.setHandler(() => {
      calls += 1;
      if (calls === 1)
        return {
          status: 429,
          headers: { 'retry-after-ms': '200' },
          error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
        };
      if (calls === 2) return { status: 503, error: { message: 'overloaded', type: 'server_error' } };
      return { content: answer };
    });
    const { keys, redis, queue, metric } = await setup([createOpenAIProvider({ apiKey: API_KEY, baseURL: fake.url })]);
    await queue('openai').add('window', windowJob('openai', 'gpt-4.1-mini'), {
      jobId: 'flaky-1',
      backoff: { type: 'fixed', delay: 100 },
    });
    await waitFor(async () => (await stateOf(queue('openai'), 'flaky-1')) === 'completed', {
      description: 'job completed',
      timeoutMs: 15_000,
    });
    expect(calls).toBe(3);
    const [alert] = await alertLog(redis, keys);
    expect(alert?.evidence).toEqual([`${BASE}-0`]);
    expect(alert?.usage.inputTokens).toBeGreaterThan(0);
    // gpt-4.1-mini: $0.40 in, $1.60 out per million tokens (the fake reports no cached tokens).
    const { inputTokens = 0, outputTokens = 0, costUsd } = alert?.usage ?? {};
    expect(costUsd).toBeCloseTo((inputTokens * 0.4 + outputTokens * 1.6) / 1e6, 12);
    expect(WindowJobResult.parse((await queue('openai').getJob('flaky-1'))?.returnvalue).costUsd).toBe(costUsd);
    // The 429 is recorded (each one is); the 503 that was retried is not an outcome; the completion is.
    expect(await records(redis, keys)).toMatchObject([
      { outcome: 'rate-limited', jobId: 'flaky-1', provider: 'openai', model: 'gpt-4.1-mini', retryAfterMs: 200 },
      {
        outcome: 'completed',
        jobId: 'flaky-1',
        messages: 41,
        inputTokens,
        outputTokens,
        costUsd,
        alerts: [{ severity: 'info', evidence: [`${BASE}-0`] }],
      },
    ]);
    // The metrics say the same: a 429, a retry, a completion; three calls, two of them failures by type.
    const job = { stream: 'btc-trades', provider: 'openai', model: 'gpt-4.1-mini' };
    for (const outcome of ['rate-limited', 'retried', 'completed'])
      expect(await metric('turbostream_analyses_total', { ...job, outcome }), outcome).toBe(1);
    const call = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4.1-mini' };
    expect(await metric('gen_ai_client_operation_duration_seconds_count', call)).toBe(3);
    for (const errorType of ['rate-limited', 'transient'])
      expect(await metric('gen_ai_client_operation_duration_seconds_count', { ...call, error_type: errorType })).toBe(
        1,
      );
    expect(await metric('turbostream_llm_tokens_total', { ...call, gen_ai_token_type: 'input' })).toBe(inputTokens);
    expect(await metric('turbostream_llm_cost_dollars_total', call)).toBeCloseTo(costUsd ?? Number.NaN, 12);
    expect(await metric('turbostream_alerts_total', { ...job, severity: 'info' })).toBe(1);
  });

  redisTest('records a window as failed once transient errors use up its attempts', async () => {
    fake.setHandler(() => ({ status: 500, error: { message: 'The server had an error', type: 'server_error' } }));
    const { keys, redis, queue, metric } = await setup([createOpenAIProvider({ apiKey: API_KEY, baseURL: fake.url })]);
    await queue('openai').add('window', windowJob('openai', 'gpt-4.1-mini'), {
      jobId: 'down-1',
      attempts: 2,
      backoff: { type: 'fixed', delay: 100 },
    });
    await waitFor(async () => (await stateOf(queue('openai'), 'down-1')) === 'failed', { description: 'job failed' });
    expect((await queue('openai').getJob('down-1'))?.attemptsMade).toBe(2);
    const failed = await waitFor(
      async () => (await events(redis, keys)).filter((event) => event.type === 'window.failed'),
      { description: 'events' },
    );
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.details?.reason)).toContain('HTTP 500');
    // Recorded once, as failed for good: the first attempt's failure was retried, not an outcome.
    const outcomes = await waitFor(
      async () => ((await records(redis, keys)).length > 0 ? records(redis, keys) : undefined),
      { description: 'the failure recorded' },
    );
    expect(outcomes).toMatchObject([
      { outcome: 'failed', jobId: 'down-1', streamId: 'btc-trades', provider: 'openai', messages: 41 },
    ]);
    expect(outcomes[0]?.outcome === 'failed' && outcomes[0].reason).toContain('HTTP 500');
    const job = { stream: 'btc-trades', provider: 'openai', model: 'gpt-4.1-mini' };
    expect(await metric('turbostream_analyses_total', { ...job, outcome: 'retried' })).toBe(1);
    expect(await metric('turbostream_analyses_total', { ...job, outcome: 'failed' })).toBe(1);
  });

  redisTest('refuses a job whose provider does not match its queue', async () => {
    const { queue } = await setup([createHeuristicProvider()]);
    await queue('heuristic').add('window', windowJob('openai', 'gpt-4.1-mini'), { jobId: 'misrouted-1' });
    await waitFor(async () => (await stateOf(queue('heuristic'), 'misrouted-1')) === 'failed', {
      description: 'job failed',
    });
    expect((await queue('heuristic').getJob('misrouted-1'))?.failedReason).toBe(
      'job names provider openai but sits in queue analysis-heuristic',
    );
  });

  redisTest('keeps consuming after redis-server is killed and restarted', async () => {
    const { queue } = await setup([createHeuristicProvider()]);
    await queue('heuristic').add('window', windowJob('heuristic', 'robust-z', 'before'), { jobId: 'before-restart' });
    await waitFor(async () => (await stateOf(queue('heuristic'), 'before-restart')) === 'completed', {
      description: 'job before restart',
    });
    await server.kill();
    try {
      // The outage itself, not a wait: long enough for every connection to fail its reconnects and blocking reads.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await server.restart(); // the file's server, for the tests after this one
    }
    await queue('heuristic').add('window', windowJob('heuristic', 'robust-z', 'after'), { jobId: 'after-restart' });
    await waitFor(async () => (await stateOf(queue('heuristic'), 'after-restart')) === 'completed', {
      description: 'job after restart',
      timeoutMs: 25_000,
    });
  });

  redisTest('closes within its drain deadline and hands unfinished jobs back without using an attempt', async () => {
    const started: string[] = [];
    const stuck: AnalysisProvider = {
      id: 'heuristic',
      analyze: (request) =>
        new Promise((_, reject) => {
          started.push(request.window.streamId);
          request.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const { analyzer, queue, metric } = await setup([stuck], { drainTimeoutMs: 300 });
    await queue('heuristic').add('window', windowJob('heuristic', 'robust-z'), { jobId: 'stuck-1' });
    await waitFor(() => started.length === 1, { description: 'job started' });
    const closing = analyzer.close();
    expect(analyzer.close()).toBe(closing);
    await closing;
    const job = await queue('heuristic').getJob('stuck-1');
    expect(['delayed', 'waiting', 'wait']).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0);
    expect(await metric('turbostream_analyses_total', { provider: 'heuristic', outcome: 'cancelled' })).toBe(1);
  });
});
