import {
  type Budget,
  fieldsToObject,
  OpsEvent,
  type ProviderId,
  type WindowJob,
  windowJobId,
} from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { parseMetricsText, TurboMetrics } from '@turbostream/metrics';
import { createOpenAIProvider } from '@turbostream/providers';
import { ANALYSIS_JOB_OPTIONS, analysisQueueName } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { type FakeOpenAI, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect } from 'vitest';
import { Analyzer } from './analyzer.js';
import { estimateCall } from './spend-guard.js';

const API_KEY = 'sk-test-budgets-0123456789abcdef';
const MAX_TOKENS = 300;
const BASE = 1_764_102_000_000;

/** Window `index` of stream `streamId`: 30 trade-like messages. */
function windowJob(index: number, model: string, budget: Budget | undefined, streamId = 'btc'): WindowJob {
  const first = BASE + index * 1_000;
  const messages = Array.from({ length: 30 }, (_, offset) => ({
    id: `${first + offset}-0`,
    data: JSON.stringify({ s: 'BTCUSDT', p: (61_200 + ((offset * 37) % 21)).toFixed(1), q: '0.01' }),
    receivedAt: first + offset,
  }));
  return {
    v: 1,
    target: { provider: 'openai', model },
    instructions: 'Alert on price outliers.',
    ...(budget ? { budget } : {}),
    enqueuedAt: first,
    window: {
      streamId,
      windowId: `${first}-0`,
      firstEntryId: `${first}-0`,
      lastEntryId: `${first + 29}-0`,
      closedBy: 'messages',
      bytes: 1_000,
      from: first,
      to: first + 29,
      messages,
      gaps: [],
    },
  };
}

describe('budgets (real redis-server, real BullMQ, OpenAI SDK against a fake)', () => {
  let fake: FakeOpenAI;
  /** When the fake received each call (epoch ms). */
  const callTimes: number[] = [];

  redisTest.beforeAll(async () => {
    fake = await startFakeOpenAI({
      apiKey: API_KEY,
      handler: () => {
        callTimes.push(Date.now());
        return { content: '{"alerts":[]}', usage: { promptTokens: 900, completionTokens: 100 } };
      },
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  async function start(
    server: { client(): Redis },
    namespace: string,
    extra: { budgets?: Map<ProviderId, Budget>; minuteMs?: number } = {},
  ) {
    const keys = createKeyLayout(namespace);
    const redis = server.client();
    const connection = server.client();
    const metrics = new TurboMetrics();
    const analyzer = new Analyzer({
      redis,
      connection,
      keys,
      metrics,
      logger: createLogger({ level: 'silent' }),
      providers: new Map([['openai', createOpenAIProvider({ apiKey: API_KEY, baseURL: fake.url })]]),
      settings: { concurrency: 1, lockMs: 5_000, attempts: 3 },
      llm: { maxTokens: MAX_TOKENS, temperature: 0, timeoutMs: 5_000 },
      instanceId: 'analyzer-budgets',
      ...(extra.budgets ? { budgets: extra.budgets } : {}),
      ...(extra.minuteMs ? { budgetPeriods: { dayMs: 86_400_000, minuteMs: extra.minuteMs } } : {}),
    });
    await analyzer.start();
    const queue = new Queue(analysisQueueName('openai'), {
      connection: server.client(),
      prefix: keys.queuePrefix,
      defaultJobOptions: ANALYSIS_JOB_OPTIONS,
    });
    const add = (job: WindowJob) =>
      queue.add('window', job, { jobId: windowJobId(job.window.streamId, job.window.windowId, job.target) });
    const stop = async () => {
      await analyzer.close();
      await queue.close();
      redis.disconnect();
      connection.disconnect();
    };
    const metric = async (name: string, labels: Record<string, string> = {}) =>
      parseMetricsText(await metrics.text())
        .samples.filter(
          (sample) =>
            sample.name === name && Object.entries(labels).every(([key, want]) => sample.labels[key] === want),
        )
        .reduce((sum, sample) => sum + sample.value, 0);
    return { keys, queue, add, stop, metric };
  }

  async function budgetEvents(redis: Redis, keys: KeyLayout): Promise<OpsEvent[]> {
    const entries = await redis.xrange(keys.eventLog, '-', '+');
    return entries
      .map(([, fields]) => OpsEvent.parse(JSON.parse(fieldsToObject(fields).event ?? 'null')))
      .filter((event) => event.type === 'budget.exhausted');
  }

  redisTest(
    'a spent stream budget makes its windows wait, calls nothing until the period rolls over, then resumes by itself',
    async ({ server, redis, namespace }) => {
      const estimate = estimateCall(windowJob(0, 'gpt-4.1-mini', undefined), MAX_TOKENS);
      // One call's estimate fits in a period, two do not: each 1.5 s "minute" lets exactly one window through.
      const budget = { tokensPerMinute: Math.ceil(1.5 * (estimate.inputTokens + estimate.outputTokens)) };
      const minuteMs = 1_500;
      const { keys, queue, add, stop, metric } = await start(server, namespace, { minuteMs });
      callTimes.length = 0;
      try {
        for (let index = 0; index < 3; index += 1) await add(windowJob(index, 'gpt-4.1-mini', budget));
        await waitFor(async () => (await queue.getCompletedCount()) === 3, {
          timeoutMs: 20_000,
          description: 'every window to be analysed in the end',
        });
        expect(await queue.getFailedCount()).toBe(0);
        // Never two calls in one period: after the first, the budget was spent for the rest of it. The ledger counts
        // periods by Redis's clock when a call is reserved; the fake sees the call a little later. Three reservations
        // in three periods are more than one period apart, first to last: so are the calls, but for the first
        // call's way to the fake (well under 250 ms; a budget that let two calls into one period would show ~0).
        expect(callTimes).toHaveLength(3);
        expect((callTimes[2] ?? 0) - (callTimes[0] ?? 0)).toBeGreaterThan(minuteMs - 250);
        const events = await budgetEvents(redis, keys);
        expect(events.length).toBeGreaterThanOrEqual(1);
        expect(events[0]).toMatchObject({
          streamId: 'btc',
          details: { scope: 'stream:btc', limit: 'tokensPerMinute' },
        });
        // No attempt was used by waiting.
        const jobs = await queue.getJobs(['completed']);
        expect(jobs.map((job) => job.attemptsMade)).toEqual([1, 1, 1]);
        const job = { stream: 'btc', provider: 'openai', model: 'gpt-4.1-mini' };
        expect(await metric('turbostream_analyses_total', { ...job, outcome: 'completed' })).toBe(3);
        // At least the refusal that reported budget.exhausted; how many more depends on where the periods fell
        // (under load the first call can end in the next period, and the second window then fits at once).
        expect(await metric('turbostream_analyses_total', { ...job, outcome: 'budget-wait' })).toBeGreaterThanOrEqual(
          1,
        );
      } finally {
        await stop();
      }
    },
    30_000,
  );

  redisTest(
    'a spent provider budget reports budget.exhausted once and keeps every window waiting, none dropped',
    async ({ server, redis, namespace }) => {
      // gpt-4.1-mini: $0.40 in and $1.60 out per million tokens. A budget of 1.3 estimates lets the first call
      // through (it costs 900 in and 100 out, less than its estimate) and no second one.
      const estimate = estimateCall(windowJob(0, 'gpt-4.1-mini', undefined), MAX_TOKENS);
      const usdPerDay = (1.3 * (estimate.inputTokens * 0.4 + estimate.outputTokens * 1.6)) / 1e6;
      const { keys, queue, add, stop } = await start(server, namespace, {
        budgets: new Map([['openai', { usdPerDay }]]),
      });
      callTimes.length = 0;
      try {
        for (let index = 0; index < 4; index += 1) await add(windowJob(index, 'gpt-4.1-mini', undefined));
        await waitFor(async () => (await queue.getDelayedCount()) === 3 && (await queue.getCompletedCount()) === 1, {
          timeoutMs: 10_000,
          description: 'one window analysed and three waiting for the next day',
        });
        expect(callTimes).toHaveLength(1);
        const events = await budgetEvents(redis, keys);
        expect(events).toHaveLength(1);
        expect(events[0]?.details).toMatchObject({
          scope: 'provider:openai',
          provider: 'openai',
          limit: 'usdPerDay',
          value: usdPerDay,
          resetsAt: new Date((Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000).toISOString(),
        });
        expect(await queue.getFailedCount()).toBe(0);
      } finally {
        await stop();
      }
    },
  );

  redisTest(
    'fails a window for good, saying why, when a dollar budget applies to a model without a price',
    async ({ server, namespace }) => {
      const { queue, add, stop } = await start(server, namespace);
      callTimes.length = 0;
      try {
        const job = await add(windowJob(0, 'my-finetune-without-price', { usdPerDay: 5 }));
        await waitFor(async () => (await queue.getFailedCount()) === 1, { description: 'the window to fail' });
        expect((await queue.getJob(job.id ?? ''))?.failedReason).toMatch(
          /^budget: no price for openai\/my-finetune-without-price, and a dollar budget applies to it/,
        );
        expect(callTimes).toEqual([]);
      } finally {
        await stop();
      }
    },
  );
});
