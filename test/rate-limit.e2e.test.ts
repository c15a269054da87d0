/**
 * A provider that answers every call with 429 and `Retry-After: 1`, served by
 * two analyzer processes at concurrency 16 with a backlog of 60 windows: once
 * the first 429 is known, the provider gets at most one request per
 * Retry-After across both processes (one probe; the rest wait for its answer),
 * no attempt is used up, and no job is dropped or moved elsewhere.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnalysisTarget, WindowJob, windowJobId } from '@turbostream/contracts';
import { AnalysisProducer, listWindowJobs } from '@turbostream/queue';
import { createKeyLayout, liveAnalyzers } from '@turbostream/redis';
import { chatMessages, type FakeOpenAI, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';
import { alertCitingWindow } from './support/window-answers.js';

const NAMESPACE = 'ratelimit';
const OPENAI_KEY = 'sk-ratelimit-openai-0123456789';
const TARGET: AnalysisTarget = { provider: 'openai', model: 'gpt-limited' };
const BACKLOG = 60;
const RETRY_AFTER_MS = 1_000;

function windowJob(index: number): { jobId: string; data: WindowJob } {
  const at = 1_700_000_000_000 + index * 10;
  const messages = [0, 1].map((offset) => ({
    id: `${at + offset}-0`,
    data: JSON.stringify({ n: index, offset }),
    receivedAt: at + offset,
  }));
  const window = {
    streamId: 'limited',
    windowId: messages[0]?.id ?? '',
    firstEntryId: messages[0]?.id ?? '',
    lastEntryId: messages[1]?.id ?? '',
    closedBy: 'messages' as const,
    bytes: 40,
    from: at,
    to: at + 1,
    messages,
    gaps: [],
  };
  const data = WindowJob.parse({
    v: 1,
    target: TARGET,
    instructions: 'Alert on anything.',
    window,
    enqueuedAt: Date.now(),
  });
  return { jobId: windowJobId('limited', window.windowId, TARGET), data };
}

describe('a rate-limited provider across analyzer processes', () => {
  let redis: Redis;
  let openai: FakeOpenAI;
  let producer: AnalysisProducer;
  const keys = createKeyLayout(NAMESPACE);
  const processes: ServiceProcess[] = [];
  /** When each request reached the fake. */
  const hits: number[] = [];
  let limited = true;

  redisTest.beforeAll(async ({ server }) => {
    assertCliBuilt();
    redis = server.client();
    openai = await startFakeOpenAI({
      apiKey: OPENAI_KEY,
      handler: (request) => {
        hits.push(Date.now());
        return limited
          ? {
              status: 429,
              headers: { 'retry-after': String(RETRY_AFTER_MS / 1000) },
              error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
            }
          : {
              content: alertCitingWindow(
                chatMessages(request).find((message) => message.role === 'user')?.content ?? '',
              ),
            };
      },
    });
    const cwd = mkdtempSync(join(tmpdir(), 'turbostream-ratelimit-'));
    const env = {
      REDIS_URL: server.url,
      TURBOSTREAM_NAMESPACE: NAMESPACE,
      TURBOSTREAM_ENV_FILE: '/dev/null',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: OPENAI_KEY,
      LOG_FORMAT: 'json',
      ANALYZER_CONCURRENCY: '16',
      ANALYZER_LOCK_MS: '5000',
    };
    for (const name of ['analyzer-1', 'analyzer-2'])
      processes.push(new ServiceProcess(name, ['analyzer'], { cwd, env: { ...env, TURBOSTREAM_INSTANCE_ID: name } }));
    producer = new AnalysisProducer({ redis, keys });
    await waitFor(async () => (await liveAnalyzers(redis, keys, 'openai', Date.now())).length === 2, {
      timeoutMs: 20_000,
      description: 'both analyzers serving openai',
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((service) => service.stop()));
    await producer?.close();
    redis?.disconnect();
    await openai?.close();
  });

  it('sends at most one request per Retry-After to the limited provider, whatever the backlog, and loses no ' +
    'job', async () => {
    await dumpOutputsOnFailure(processes, async () => {
      const jobs = Array.from({ length: BACKLOG }, (_, index) => windowJob(index));
      const [seed, ...backlog] = jobs.map((job) => ({ provider: TARGET.provider, ...job }));
      if (!seed) throw new Error('no seed job');
      // One job first, so the 429 is known before the backlog arrives (the first calls cannot know it).
      await producer.add([seed]);
      await waitFor(async () => hits.length >= 1 && (await producer.counts(TARGET.provider)).active === 0, {
        timeoutMs: 10_000,
        description: 'the first 429 answered and its job handed back',
      });
      await producer.add(backlog);
      await waitFor(() => hits.length >= 6, {
        timeoutMs: 20_000,
        description: 'five more requests to the limited provider',
      });

      const gaps = hits.slice(1).map((at, index) => at - (hits[index] ?? 0));
      expect(Math.min(...gaps), `gaps between requests, ms: ${gaps.join(', ')}`).toBeGreaterThanOrEqual(
        RETRY_AFTER_MS - 50,
      );
      // Jobs keep moving between wait and active while the provider is limited (taken, handed
      // back), and a listing reads state after state: one listing may miss a job in transit.
      const stored = await waitFor(
        async () => {
          const listed = await listWindowJobs({ redis, keys, streamId: 'limited', providers: [TARGET.provider] });
          return listed.length === BACKLOG ? listed : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50, description: `all ${BACKLOG} jobs listed` },
      );
      expect(stored.filter(({ state }) => state === 'failed')).toEqual([]);
      expect(stored.map(({ attemptsMade }) => attemptsMade)).toEqual(Array(BACKLOG).fill(0));

      limited = false;
      await waitFor(async () => (await producer.counts(TARGET.provider)).completed === BACKLOG, {
        timeoutMs: 20_000,
        description: 'every window analysed once the provider answers',
      });
    });
  }, 60_000);
});
