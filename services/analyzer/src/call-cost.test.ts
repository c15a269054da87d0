/**
 * costUsd end to end, for every provider: the usage its official SDK reads from a loopback fake of its HTTP protocol
 * (cached and cache-written tokens included) → AnalysisUsage → the price book → costUsd on the alert.
 */
import type { ProviderId, WindowJob } from '@turbostream/contracts';
import { PriceBook } from '@turbostream/costs';
import { type AnalysisResult, analyzeWithRepair, createProvider, type ProviderSettings } from '@turbostream/providers';
import {
  type FakeAnthropic,
  type FakeGemini,
  type FakeMistral,
  type FakeOpenAI,
  startFakeAnthropic,
  startFakeGemini,
  startFakeMistral,
  startFakeOpenAI,
} from '@turbostream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlerts } from './build-alerts.js';

const BASE = 1_764_102_000_000;
const KEY = 'sk-test-cost-0123456789abcdef';

function job(provider: ProviderId, model: string, windowIndex = 0): WindowJob {
  const from = BASE + windowIndex * 10_000;
  const messages = [0, 1, 2].map((index) => ({
    id: `${from + index * 100}-0`,
    data: JSON.stringify({ s: 'BTCUSDT', p: (61_200 + windowIndex * 50 + index * 7).toFixed(1) }),
    receivedAt: from + index * 100,
  }));
  return {
    v: 1,
    target: { provider, model },
    instructions: 'Alert on price moves over 1%.',
    enqueuedAt: from + 500,
    window: {
      streamId: 'btc-trades',
      windowId: `${from}-0`,
      firstEntryId: `${from}-0`,
      lastEntryId: `${from + 200}-0`,
      closedBy: 'messages',
      bytes: 90,
      from,
      to: from + 200,
      messages,
      gaps: [],
    },
  };
}

const ANSWER = JSON.stringify({
  alerts: [{ severity: 'info', title: 'BTC moved', summary: 'a move', evidence: [] }],
});

/** Analyses the job with the provider the job names, and returns its usage and the costUsd of its alerts. */
async function analyse(
  settings: ProviderSettings,
  data: WindowJob,
  prices: PriceBook = new PriceBook(),
): Promise<{ usage: AnalysisResult['usage']; costUsd: number | null }> {
  const provider = createProvider(data.target.provider, { configured: true, ...settings });
  const result = await analyzeWithRepair(provider, {
    model: data.target.model,
    instructions: data.instructions,
    window: data.window,
    maxTokens: 400,
    temperature: 0.2,
    timeoutMs: 5_000,
  });
  const costUsd = prices.costOf(data.target.provider, data.target.model, result.usage);
  const alerts = buildAlerts(data, result, { enqueuedAt: 0, startedAt: 0, now: 1 }, costUsd);
  // Every alert of the window carries the window's call cost (the heuristic may find nothing to alert on).
  expect(alerts.map((alert) => alert.usage.costUsd)).toEqual(alerts.map(() => costUsd));
  if (data.target.provider !== 'heuristic') expect(alerts).toHaveLength(1);
  return { usage: result.usage, costUsd };
}

const perMillion = (...parts: [tokens: number, dollarsPerMTok: number][]) =>
  parts.reduce((sum, [tokens, price]) => sum + tokens * price, 0) / 1e6;

describe('costUsd from each provider’s reported usage (official SDKs against loopback fakes)', () => {
  let openai: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  let mistral: FakeMistral;
  beforeAll(async () => {
    [openai, anthropic, gemini, mistral] = await Promise.all([
      startFakeOpenAI(),
      startFakeAnthropic({ promptCache: true }),
      startFakeGemini(),
      startFakeMistral(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close(), gemini.close(), mistral.close()]);
  });

  it('openai: prompt_tokens_details.cached_tokens priced at the cached rate, a dated snapshot at its family’s', async () => {
    openai.setHandler(() => ({
      content: ANSWER,
      usage: { promptTokens: 5_000, cachedTokens: 4_096, completionTokens: 200 },
    }));
    const { usage, costUsd } = await analyse(
      { apiKey: KEY, baseURL: openai.url },
      job('openai', 'gpt-4.1-mini-2025-04-14'),
    );
    expect(usage).toEqual({ inputTokens: 5_000, outputTokens: 200, cachedInputTokens: 4_096 });
    // gpt-4.1-mini: $0.40 in, $0.10 cached, $1.60 out.
    expect(costUsd).toBeCloseTo(perMillion([904, 0.4], [4_096, 0.1], [200, 1.6]), 12);
  });

  it('azure-openai: a deployment named after its model is priced; any other name only by the price file', async () => {
    openai.setHandler(() => ({
      content: ANSWER,
      usage: { promptTokens: 3_000, cachedTokens: 1_024, completionTokens: 100 },
    }));
    const settings = { apiKey: KEY, baseURL: openai.endpoint };
    const named = await analyse(settings, job('azure-openai', 'gpt-4.1'));
    expect(named.usage).toEqual({ inputTokens: 3_000, outputTokens: 100, cachedInputTokens: 1_024 });
    expect(named.costUsd).toBeCloseTo(perMillion([1_976, 2], [1_024, 0.5], [100, 8]), 12);

    expect((await analyse(settings, job('azure-openai', 'prod-mini'))).costUsd).toBeNull();
    const prices = new PriceBook();
    prices.setUserRows([
      {
        provider: 'azure-openai',
        model: 'prod-mini',
        inputPerMTok: 0.44,
        cachedInputPerMTok: 0.11,
        outputPerMTok: 1.76,
        source: 'user price file',
        asOf: '2026-11-30',
      },
    ]);
    const priced = await analyse(settings, job('azure-openai', 'prod-mini'), prices);
    expect(priced.costUsd).toBeCloseTo(perMillion([1_976, 0.44], [1_024, 0.11], [100, 1.76]), 12);
  });

  it('xai: cached prompt tokens at the cached rate, reasoning tokens as output', async () => {
    openai.setHandler(() => ({
      content: ANSWER,
      usage: { promptTokens: 3_000, cachedTokens: 2_048, completionTokens: 100, reasoningTokens: 50 },
    }));
    const { usage, costUsd } = await analyse({ apiKey: KEY, baseURL: openai.url }, job('xai', 'grok-4.3'));
    expect(usage).toEqual({ inputTokens: 3_000, outputTokens: 150, cachedInputTokens: 2_048 });
    // grok-4.3: $1.25 in, $0.20 cached, $2.50 out.
    expect(costUsd).toBeCloseTo(perMillion([952, 1.25], [2_048, 0.2], [150, 2.5]), 12);
  });

  it('ollama: a local model costs 0 whatever its usage', async () => {
    openai.setHandler(() => ({ content: ANSWER, usage: { promptTokens: 9_000, completionTokens: 900 } }));
    const { usage, costUsd } = await analyse({ baseURL: openai.url }, job('ollama', 'llama3.2:3b'));
    expect(usage.inputTokens).toBe(9_000);
    expect(costUsd).toBe(0);
  });

  it('gemini: cachedContentTokenCount at the cached rate, thinking tokens as output', async () => {
    gemini.setHandler(() => ({
      content: ANSWER,
      usage: { promptTokens: 4_000, cachedTokens: 3_000, candidatesTokens: 100, thoughtsTokens: 20 },
    }));
    const { usage, costUsd } = await analyse({ apiKey: KEY, baseURL: gemini.url }, job('gemini', 'gemini-2.5-flash'));
    expect(usage).toEqual({ inputTokens: 4_000, outputTokens: 120, cachedInputTokens: 3_000 });
    // gemini-2.5-flash: $0.30 in, $0.03 cached, $2.50 out.
    expect(costUsd).toBeCloseTo(perMillion([1_000, 0.3], [3_000, 0.03], [120, 2.5]), 12);
  });

  it('mistral: cached prompt tokens reported, charged at the input price (Mistral publishes no cached price)', async () => {
    mistral.setHandler(() => ({
      content: ANSWER,
      usage: { promptTokens: 2_000, cachedTokens: 1_000, completionTokens: 80 },
    }));
    const { usage, costUsd } = await analyse(
      { apiKey: KEY, baseURL: mistral.url },
      job('mistral', 'mistral-medium-3-5-26-04'),
    );
    expect(usage).toEqual({ inputTokens: 2_000, outputTokens: 80, cachedInputTokens: 1_000 });
    expect(costUsd).toBeCloseTo(perMillion([2_000, 1.5], [80, 7.5]), 12);
  });

  it('anthropic: the system block’s cache_control writes the prefix on the first window and reads it on the next', async () => {
    anthropic.requests.length = 0;
    anthropic.setHandler(() => ({ content: ANSWER, usage: { outputTokens: 60 } }));
    const settings = { apiKey: KEY, baseURL: anthropic.url };
    const first = await analyse(settings, job('anthropic', 'claude-sonnet-4-5-20250929', 0));
    const second = await analyse(settings, job('anthropic', 'claude-sonnet-4-5-20250929', 1));

    expect(anthropic.requests.map((request) => (request.body as { system: unknown }).system)).toEqual([
      [expect.objectContaining({ type: 'text', cache_control: { type: 'ephemeral' } })],
      [expect.objectContaining({ type: 'text', cache_control: { type: 'ephemeral' } })],
    ]);
    const written = first.usage.cacheWriteInputTokens ?? 0;
    expect(written).toBeGreaterThan(0);
    expect(first.usage.cachedInputTokens).toBe(0);
    expect(second.usage).toMatchObject({ cachedInputTokens: written, cacheWriteInputTokens: 0 });
    // claude-sonnet-4-5: $3 in, $3.75 to write the cache, $0.30 to read it, $15 out.
    const uncached = (usage: AnalysisResult['usage']) =>
      usage.inputTokens - (usage.cachedInputTokens ?? 0) - (usage.cacheWriteInputTokens ?? 0);
    expect(first.costUsd).toBeCloseTo(perMillion([uncached(first.usage), 3], [written, 3.75], [60, 15]), 12);
    expect(second.costUsd).toBeCloseTo(perMillion([uncached(second.usage), 3], [written, 0.3], [60, 15]), 12);
    expect(second.costUsd ?? 1).toBeLessThan(first.costUsd ?? 0);
  });

  it('heuristic: no LLM, costs 0', async () => {
    const { usage, costUsd } = await analyse({}, job('heuristic', 'mad'));
    expect(usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(costUsd).toBe(0);
  });
});
