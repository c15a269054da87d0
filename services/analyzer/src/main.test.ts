import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
        // The ref of the first row under the first header inside the fence.
        const firstRef = /^<stream_data>\n#,.*\n(\d+),/m.exec(prompt)?.[1] ?? 'none';
        return {
          content: JSON.stringify({
            alerts: [{ severity: 'info', title: 'first message', summary: 'seen', evidence: [firstRef] }],
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

  redisTest(
    'prices each call by the price file, and by its new content once it changes, without a restart',
    async ({ server, redis, namespace }) => {
      fake.setHandler(() => ({
        content: JSON.stringify({ alerts: [{ severity: 'info', title: 't', summary: 's', evidence: [] }] }),
        usage: { promptTokens: 2_000, completionTokens: 100, cachedTokens: 1_000 },
      }));
      const dir = mkdtempSync(join(tmpdir(), 'turbostream-analyzer-prices-'));
      const pricesFile = join(dir, 'prices.yaml');
      const priceFile = (input: number) =>
        'prices:\n' +
        `  - { provider: openai, model: gpt-4.1-mini, inputPerMTok: ${input}, cachedInputPerMTok: 0.5, ` +
        'outputPerMTok: 4 }\n';
      writeFileSync(pricesFile, priceFile(1));
      const keys = createKeyLayout(namespace);
      const openai = { configured: true, missing: [], apiKey: API_KEY, baseURL: fake.url };
      const started = await startAnalyzer(
        config(
          { openai },
          { REDIS_URL: server.url, TURBOSTREAM_NAMESPACE: keys.namespace, TURBOSTREAM_PRICES_FILE: pricesFile },
        ),
        createLogger({ level: 'silent' }),
      );
      const queue = new Queue(analysisQueueName('openai'), { connection: redis, prefix: keys.queuePrefix });
      const costOfWindow = async (windowId: string) => {
        const job: WindowJob = {
          v: 1,
          target: { provider: 'openai', model: 'gpt-4.1-mini-2025-04-14' },
          instructions: 'x',
          enqueuedAt: 1,
          window: {
            streamId: 'feed',
            windowId,
            firstEntryId: windowId,
            lastEntryId: windowId,
            closedBy: 'messages',
            bytes: 2,
            from: 1000,
            to: 1000,
            messages: [{ id: windowId, data: '{}', receivedAt: 1000 }],
            gaps: [],
          },
        };
        await queue.add('window', job, { jobId: `price-${windowId}` });
        const alert = await waitFor(async () => {
          const entries = await redis.xrange(keys.alertLog, '-', '+');
          const alerts = entries.map((entry) => Alert.parse(JSON.parse(fieldsToObject(entry[1]).alert ?? 'null')));
          return alerts.find((item) => item.windowId === windowId);
        });
        return alert.usage.costUsd;
      };
      try {
        // 1,000 uncached and 1,000 cached input tokens, 100 output tokens, at the file's prices.
        expect(await costOfWindow('1000-0')).toBeCloseTo((1_000 * 1 + 1_000 * 0.5 + 100 * 4) / 1e6, 12);
        writeFileSync(pricesFile, priceFile(3));
        // The watch reads the file within about 2 s of the change; a window analysed after that pays the new price.
        await waitFor(
          async () => (await costOfWindow(`${Date.now()}-0`)) === (1_000 * 3 + 1_000 * 0.5 + 100 * 4) / 1e6,
          {
            description: 'the new price in force',
            timeoutMs: 10_000,
          },
        );
        // A file that does not validate keeps the prices in force.
        writeFileSync(pricesFile, 'prices: [{ provider: openai }]\n');
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        expect(await costOfWindow('3000-0')).toBeCloseTo((1_000 * 3 + 1_000 * 0.5 + 100 * 4) / 1e6, 12);
      } finally {
        await started.service.close();
        await started.disconnect();
        await queue.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
