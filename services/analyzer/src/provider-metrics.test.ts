import { PriceBook } from '@turbostream/costs';
import { parseMetricsText, TurboMetrics } from '@turbostream/metrics';
import { type AnalysisProvider, type AnalysisRequest, ProviderError } from '@turbostream/providers';
import { describe, expect, it } from 'vitest';
import { measuredProvider } from './provider-metrics.js';

const request = { model: 'gpt-4.1-mini' } as AnalysisRequest;

async function samples(metrics: TurboMetrics, name: string) {
  return parseMetricsText(await metrics.text()).samples.filter((sample) => sample.name === name);
}

describe('measuredProvider', () => {
  it('measures each call: duration, time to first token, tokens by type and dollars', async () => {
    const metrics = new TurboMetrics();
    const inner: AnalysisProvider = {
      id: 'openai',
      analyze: async () => ({
        answer: { alerts: [] },
        timings: { ttftMs: 250, totalMs: 1_500 },
        usage: { inputTokens: 1_000, outputTokens: 100, cachedInputTokens: 400 },
        finishReason: 'stop',
      }),
    };
    const provider = measuredProvider(inner, { metrics, prices: new PriceBook() });
    expect(provider.id).toBe('openai');
    await provider.analyze(request);
    const call = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4.1-mini' };
    expect(await samples(metrics, 'gen_ai_client_operation_duration_seconds_sum')).toEqual([
      {
        name: 'gen_ai_client_operation_duration_seconds_sum',
        labels: { ...call, gen_ai_operation_name: 'chat' },
        value: 1.5,
      },
    ]);
    expect(await samples(metrics, 'turbostream_llm_time_to_first_token_seconds_sum')).toEqual([
      { name: 'turbostream_llm_time_to_first_token_seconds_sum', labels: call, value: 0.25 },
    ]);
    expect(
      (await samples(metrics, 'gen_ai_client_token_usage_sum')).map((s) => [s.labels.gen_ai_token_type, s.value]),
    ).toEqual([
      ['input', 1_000],
      ['output', 100],
    ]);
    expect(
      (await samples(metrics, 'turbostream_llm_tokens_total')).map((s) => [s.labels.gen_ai_token_type, s.value]),
    ).toEqual([
      ['input', 1_000],
      ['output', 100],
      ['cached_input', 400],
    ]);
    const [cost] = await samples(metrics, 'turbostream_llm_cost_dollars_total');
    const expected = new PriceBook().costOf('openai', 'gpt-4.1-mini', {
      inputTokens: 1_000,
      outputTokens: 100,
      cachedInputTokens: 400,
    });
    expect(cost?.value).toBeCloseTo(expected ?? Number.NaN, 12);
  });

  it('records a failed call with its error type, and keeps what else the provider has', async () => {
    const metrics = new TurboMetrics();
    const inner = {
      id: 'anthropic' as const,
      analyze: async (_request: AnalysisRequest) => {
        throw new ProviderError({ provider: 'anthropic', kind: 'rate-limited', message: '429' });
      },
      extra(this: { id: string }) {
        return this.id;
      },
    };
    const provider = measuredProvider(inner, { metrics, prices: new PriceBook() }) as typeof inner;
    await expect(provider.analyze(request)).rejects.toThrow('429');
    expect(provider.extra()).toBe('anthropic');
    const [count] = await samples(metrics, 'gen_ai_client_operation_duration_seconds_count');
    expect(count?.labels.error_type).toBe('rate-limited');
    expect(count?.value).toBe(1);
  });

  it('leaves the heuristic alone: it calls no model', () => {
    const heuristic: AnalysisProvider = { id: 'heuristic', analyze: async () => ({}) as never };
    expect(measuredProvider(heuristic, { metrics: new TurboMetrics(), prices: new PriceBook() })).toBe(heuristic);
  });
});
