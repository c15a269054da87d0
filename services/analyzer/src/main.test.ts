import { defaultConfig, type ProviderSettings, serviceConfigs } from '@turbostream/config';
import { Alert, fieldsToObject, PROVIDER_IDS, type ProviderId, type WindowJob } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout } from '@turbostream/redis';
import { chatMessages, type FakeOpenAI, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProviders, startAnalyzer } from './main.js';

const API_KEY = 'sk-test-main-0123456789abcdef';

function config(overrides: Partial<Record<ProviderId, Partial<ProviderSettings>>>, env: Record<string, string> = {}) {
  const base = defaultConfig({
    LOG_LEVEL: 'silent',
    TURBOSTREAM_INSTANCE_ID: 'analyzer-main-test',
    LLM_TIMEOUT_MS: '5000',
    ANALYZER_LOCK_MS: '5000',
    ANALYZER_CONCURRENCY: '1',
    ...env,
  });
  const providers = Object.fromEntries(
    PROVIDER_IDS.map((id) => [id, { ...base.providers[id], ...overrides[id] }]),
  ) as Record<ProviderId, ProviderSettings>;
  return serviceConfigs({ ...base, providers }).analyzer;
}

describe('startAnalyzer', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('builds every configured provider, and only those', () => {
    expect([...buildProviders(config({})).keys()]).toEqual(['heuristic']);
    const both = buildProviders(
      config({ openai: { configured: true, missing: [], apiKey: API_KEY, baseURL: fake.url } }),
    );
    expect([...both.keys()]).toEqual(['openai', 'heuristic']);
  });

  redisTest(
    'serves the configured providers; an openai job is answered from its own prompt',
    async ({ server, redis, namespace }) => {
      fake.setHandler((request) => {
        const prompt = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
        const firstId = /^(\d+-\d+) /m.exec(prompt)?.[1] ?? 'none';
        return {
          content: JSON.stringify({
            alerts: [{ severity: 'info', title: 'first message', summary: 'seen', evidence: [firstId] }],
          }),
        };
      });
      const keys = createKeyLayout(namespace);
      const openai = { configured: true, missing: [], apiKey: API_KEY, baseURL: fake.url };
      const started = await startAnalyzer(
        config({ openai }, { REDIS_URL: server.url, TURBOSTREAM_NAMESPACE: keys.namespace }),
        createLogger({ level: 'silent' }),
      );
      const analyzer = started.service;
      const queue = new Queue(analysisQueueName('openai'), { connection: redis, prefix: keys.queuePrefix });
      try {
        expect(analyzer.providers).toEqual(['openai', 'heuristic']);
        const job: WindowJob = {
          v: 1,
          target: { provider: 'openai', model: 'gpt-4.1-mini' },
          instructions: 'Cite the first message.',
          enqueuedAt: 1,
          window: {
            streamId: 'feed',
            windowId: '1000-0',
            firstEntryId: '1000-0',
            lastEntryId: '1001-0',
            closedBy: 'messages',
            bytes: 4,
            from: 1000,
            to: 1001,
            messages: [
              { id: '1000-0', data: '{"a":1}', receivedAt: 1000 },
              { id: '1001-0', data: '{"a":2}', receivedAt: 1001 },
            ],
            gaps: [],
          },
        };
        await queue.add('window', job, { jobId: 'main-1' });
        const entries = await waitFor(async () => {
          const found = await redis.xrange(keys.alertLog, '-', '+');
          return found.length > 0 ? found : undefined;
        });
        const alert = Alert.parse(JSON.parse(fieldsToObject(entries[0]?.[1] ?? []).alert ?? 'null'));
        expect(alert).toMatchObject({ provider: 'openai', model: 'gpt-4.1-mini', evidence: ['1000-0'] });
      } finally {
        await analyzer.close();
        await started.disconnect();
        await queue.close();
      }
    },
  );
});
