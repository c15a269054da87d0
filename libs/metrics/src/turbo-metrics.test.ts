import { describe, expect, it } from 'vitest';
import { GEN_AI_DURATION_BUCKETS, METRIC_NAMES, METRICS } from './metric-table.js';
import { parseMetricsText } from './parse-text.js';
import { TurboMetrics } from './turbo-metrics.js';

const samplesOf = async (metrics: TurboMetrics) => parseMetricsText(await metrics.text());

describe('the metric table', () => {
  it('names every metric once, TurboStream’s with turbostream_, the LLM ones after the GenAI conventions', () => {
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
    for (const spec of Object.values(METRICS)) {
      expect(spec.name).toMatch(/^(turbostream_|gen_ai_client_)[a-z_]+$/);
      if (spec.type === 'counter') expect(spec.name).toMatch(/_total$/);
      else expect(spec.name).not.toMatch(/_total$/);
      for (const label of spec.labels) expect(label).not.toMatch(/window|job|entry|alert_?id/);
    }
    expect(METRICS.llmDuration.labels).toEqual([
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_operation_name',
      'error_type',
    ]);
    expect(METRICS.llmTokenUsage.name).toBe('gen_ai_client_token_usage');
  });
});

describe('TurboMetrics', () => {
  it('exports every metric of the table with its type, and what was counted', async () => {
    const metrics = new TurboMetrics();
    metrics.metric('messagesIn').inc({ stream: 'btc' }, 3);
    metrics
      .metric('llmDuration')
      .observe({ gen_ai_provider_name: 'openai', gen_ai_request_model: 'm', gen_ai_operation_name: 'chat' }, 0.5);
    const { samples, types } = await samplesOf(metrics);
    for (const spec of Object.values(METRICS)) expect(types.get(spec.name)).toBe(spec.type);
    expect(samples).toContainEqual({ name: 'turbostream_ingest_messages_total', labels: { stream: 'btc' }, value: 3 });
    const buckets = samples.filter((sample) => sample.name === 'gen_ai_client_operation_duration_seconds_bucket');
    expect(buckets.map((sample) => sample.labels.le)).toEqual([...GEN_AI_DURATION_BUCKETS.map(String), '+Inf']);
    expect(buckets.find((sample) => sample.labels.le === '0.64')?.value).toBe(1);
    expect(buckets.find((sample) => sample.labels.le === '0.32')?.value).toBe(0);
  });

  it('reads collected gauges at scrape time from every source, forgetting what a source no longer sets', async () => {
    const metrics = new TurboMetrics();
    let streams = ['a', 'b'];
    metrics.onCollect('sourceUp', (gauge) => {
      for (const stream of streams) gauge.set({ stream }, 1);
    });
    const remove = metrics.onCollect('sourceUp', async (gauge) => gauge.set({ stream: 'c' }, 0));
    const up = async () =>
      (await samplesOf(metrics)).samples
        .filter((sample) => sample.name === 'turbostream_source_up')
        .map((sample) => `${sample.labels.stream}=${sample.value}`)
        .sort();
    expect(await up()).toEqual(['a=1', 'b=1', 'c=0']);
    streams = ['b'];
    remove();
    expect(await up()).toEqual(['b=1']);
  });

  it('answers when a source fails or hangs, counting it, without that source’s values', async () => {
    const metrics = new TurboMetrics({ collectTimeoutMs: 50 });
    metrics.onCollect('lagEntries', () => new Promise(() => {}));
    metrics.onCollect('lagSeconds', () => {
      throw new Error('redis is gone');
    });
    metrics.onCollect('lagSeconds', (gauge) => gauge.set({ stream: 'ok' }, 2));
    const { samples } = await samplesOf(metrics);
    const errors = samples.filter((sample) => sample.name === 'turbostream_metrics_collect_errors_total');
    expect(errors.map((sample) => `${sample.labels.metric}=${sample.value}`).sort()).toEqual([
      'turbostream_windower_lag_entries=1',
      'turbostream_windower_lag_seconds=1',
    ]);
    expect(samples).toContainEqual({ name: 'turbostream_windower_lag_seconds', labels: { stream: 'ok' }, value: 2 });
  });

  it('adds the process metrics when asked', async () => {
    const { types } = await samplesOf(new TurboMetrics({ processMetrics: true }));
    expect(types.has('process_cpu_seconds_total')).toBe(true);
    expect(types.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });
});

describe('parseMetricsText', () => {
  it('reads labels with escapes, infinities and skips comments', () => {
    const { samples } = parseMetricsText(
      '# HELP x a\n# TYPE x gauge\nx{a="1",b="q\\"u\\\\o\\nte"} 2.5\ny_bucket{le="+Inf"} 3\nz +Inf\n',
    );
    expect(samples).toEqual([
      { name: 'x', labels: { a: '1', b: 'q"u\\o\nte' }, value: 2.5 },
      { name: 'y_bucket', labels: { le: '+Inf' }, value: 3 },
      { name: 'z', labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
  });
});
