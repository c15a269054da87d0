/**
 * /metrics of every service after a real run: ingest, windower and two
 * analyzers as processes (the pipeline harness, each on a HEALTH_PORT of its
 * own), two streams on a priced OpenAI model against a loopback fake that
 * reports fixed usage, answers one 429 first and gives each window an alert
 * of a severity that depends on the window. The counters must say what
 * happened (as Redis, BullMQ and the fake model say it), no label may hold a
 * window, job, entry or alert id, and every metric the Grafana dashboard
 * queries must be in the scrapes.
 */
import { readFileSync } from 'node:fs';
import { Alert } from '@turbostream/contracts';
import { PriceBook } from '@turbostream/costs';
import { METRICS, parseMetricsText, type Sample } from '@turbostream/metrics';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineHarness } from './support/pipeline-harness.js';
import { dashboardQueries, metricNamesOf } from './support/promql.js';
import { firstRef, windowOf } from './support/window-answers.js';

const NAMESPACE = 'metrics-e2e';
const STREAMS = ['alpha', 'beta'];
const MODEL = 'gpt-4.1-mini';
const USAGE = { promptTokens: 1_200, completionTokens: 60, cachedTokens: 400 };
const SENT = 120;
const SEVERITIES = ['info', 'warning', 'critical'] as const;
const DASHBOARD = 'deploy/observability/grafana/dashboards/turbostream.json';

/** The severity the fake model gives a window: from its id, so every severity shows up. */
const severityOf = (windowId: string) => SEVERITIES[Number(windowId.split('-')[0]) % 3] ?? 'info';

type Scrape = { samples: Sample[]; types: Map<string, string> };

/** The sum of a series' values over samples matching `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v))
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('/metrics of every service after a run', () => {
  let pipeline: PipelineHarness<Redis>;
  let requests = 0;

  redisTest.beforeAll(async ({ server }) => {
    pipeline = await PipelineHarness.start({
      redisUrl: server.url,
      client: () => server.client(),
      namespace: NAMESPACE,
      streams: STREAMS,
      subscribe: (id) => `{"op":"subscribe","stream":"${id}"}`,
      model: MODEL,
      budget: '{ usdPerDay: 100, tokensPerMinute: 100000000 }',
      healthPorts: true,
      env: { OPENAI_BUDGET_USD_PER_DAY: '50' },
      answer: (prompt) => {
        requests += 1;
        if (requests === 1)
          return {
            status: 429,
            error: { message: 'slow down', type: 'rate_limit_error' },
            headers: { 'retry-after': '1' },
          };
        const windowId = windowOf(prompt);
        const ref = firstRef(prompt);
        const alerts =
          windowId && ref
            ? [{ severity: severityOf(windowId), title: 'seen', summary: 'by the fake model', evidence: [ref] }]
            : [];
        return { content: JSON.stringify({ alerts }), firstTokenDelayMs: 50, chunkDelayMs: 2, usage: USAGE };
      },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('counts what happened, reads the gauges at scrape time, and keeps ids out of labels', async () => {
    await pipeline.dumpOnFailure(async () => {
      await pipeline.source.send('this is not json');
      await pipeline.sendMessages(SENT);
      const jobs = await waitFor(pipeline.everyMessageWindowedOnce, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: 'every message in a completed window',
      });
      const scrape = async (name: string): Promise<Scrape> => parseMetricsText(await pipeline.scrape(name));
      // The queues are read at scrape time and cached for a second: wait until they show the run's end.
      const windower = await waitFor(
        async () => {
          const found = await scrape('windower');
          const busy = ['waiting', 'active', 'delayed'].some(
            (state) => total(found.samples, 'turbostream_queue_jobs', { provider: 'openai', state }) > 0,
          );
          return busy ? undefined : found;
        },
        { timeoutMs: 10_000, description: 'the queue gauges to show no job left' },
      );
      const ingest = await scrape('ingest');
      const analyzers = [await scrape('analyzer-1'), await scrape('analyzer-2')];
      const analyzed = analyzers.flatMap((found) => found.samples);

      // ingest: messages and bytes as Redis holds them, the dead letter, sources up.
      for (const stream of STREAMS) {
        const entries = await pipeline.redis.xrange(pipeline.keys.messages(stream), '-', '+');
        const bytes = entries.reduce(
          (sum, [, fields]) => sum + Buffer.byteLength(fields[fields.indexOf('data') + 1] ?? ''),
          0,
        );
        expect(total(ingest.samples, 'turbostream_ingest_messages_total', { stream })).toBe(SENT);
        expect(total(ingest.samples, 'turbostream_ingest_bytes_total', { stream })).toBe(bytes);
        expect(total(ingest.samples, 'turbostream_dead_letters_total', { stream, reason: 'not-json' })).toBe(1);
        expect(total(ingest.samples, 'turbostream_source_up', { stream })).toBe(1);
      }
      expect(total(ingest.samples, 'turbostream_source_reconnects_total')).toBe(0);

      // windower: windows sealed = the jobs BullMQ completed (one target), no lag once all is windowed, empty queues.
      for (const stream of STREAMS) {
        const windows = jobs.filter(({ data }) => data.window.streamId === stream).length;
        expect(windows).toBeGreaterThan(0);
        expect(total(windower.samples, 'turbostream_windower_windows_sealed_total', { stream })).toBe(windows);
        expect(total(windower.samples, 'turbostream_windower_lag_entries', { stream })).toBe(0);
        expect(total(windower.samples, 'turbostream_windower_lag_seconds', { stream })).toBe(0);
      }
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(windower.samples).toContainEqual({
          name: 'turbostream_queue_jobs',
          labels: { provider: 'openai', state },
          value: 0,
        });

      // analyzers: outcomes, the 429, tokens as the fake reported them, dollars as priced, alerts by severity.
      const calls = jobs.length;
      const model = { gen_ai_provider_name: 'openai', gen_ai_request_model: MODEL };
      expect(total(analyzed, 'turbostream_analyses_total', { outcome: 'completed' })).toBe(calls);
      expect(total(analyzed, 'turbostream_analyses_total', { outcome: 'rate-limited' })).toBe(1);
      expect(total(analyzed, 'turbostream_analyses_total', { outcome: 'failed' })).toBe(0);
      const duration = 'gen_ai_client_operation_duration_seconds_count';
      expect(total(analyzed, duration, { ...model, gen_ai_operation_name: 'chat' })).toBe(calls + 1);
      expect(total(analyzed, duration, { error_type: 'rate-limited' })).toBe(1);
      const usage = (type: string) => ({ ...model, gen_ai_operation_name: 'chat', gen_ai_token_type: type });
      expect(total(analyzed, 'gen_ai_client_token_usage_count', usage('input'))).toBe(calls);
      expect(total(analyzed, 'gen_ai_client_token_usage_sum', usage('input'))).toBe(calls * USAGE.promptTokens);
      expect(total(analyzed, 'gen_ai_client_token_usage_sum', usage('output'))).toBe(calls * USAGE.completionTokens);
      const tokens = (type: string) =>
        total(analyzed, 'turbostream_llm_tokens_total', { ...model, gen_ai_token_type: type });
      expect(tokens('input')).toBe(calls * USAGE.promptTokens);
      expect(tokens('output')).toBe(calls * USAGE.completionTokens);
      expect(tokens('cached_input')).toBe(calls * USAGE.cachedTokens);
      const ttftCount = total(analyzed, 'turbostream_llm_time_to_first_token_seconds_count', model);
      expect(ttftCount).toBe(calls);
      expect(total(analyzed, 'turbostream_llm_time_to_first_token_seconds_sum', model)).toBeGreaterThanOrEqual(
        calls * 0.05,
      );
      const dollars = jobs.reduce((sum, { result }) => sum + (result.costUsd ?? Number.NaN), 0);
      const perCall = new PriceBook().costOf('openai', MODEL, {
        inputTokens: USAGE.promptTokens,
        outputTokens: USAGE.completionTokens,
        cachedInputTokens: USAGE.cachedTokens,
      });
      expect(dollars).toBeCloseTo(calls * (perCall ?? Number.NaN), 9);
      expect(total(analyzed, 'turbostream_llm_cost_dollars_total', model)).toBeCloseTo(dollars, 9);

      const log = await pipeline.redis.xrange(pipeline.keys.alertLog, '-', '+');
      const alerts = log.map(([, fields]) => Alert.parse(JSON.parse(fields[1] ?? '')));
      expect(alerts).toHaveLength(calls);
      for (const severity of SEVERITIES) {
        const published = alerts.filter((alert) => alert.severity === severity).length;
        expect(total(analyzed, 'turbostream_alerts_total', { severity })).toBe(published);
      }
      expect(new Set(alerts.map((alert) => alert.severity)).size).toBeGreaterThan(1);

      // Budgets left: the streams' from the windower, the provider's from both analyzers, as the ledger says.
      for (const stream of STREAMS) {
        const spent = jobs
          .filter(({ data }) => data.window.streamId === stream)
          .reduce((sum, { result }) => sum + (result.costUsd ?? 0), 0);
        expect(
          total(windower.samples, 'turbostream_budget_remaining_dollars', { scope: `stream:${stream}` }),
        ).toBeCloseTo(100 - spent, 6);
        expect(
          total(windower.samples, 'turbostream_budget_remaining_tokens', { scope: `stream:${stream}` }),
        ).toBeGreaterThan(0);
      }
      for (const found of analyzers)
        expect(total(found.samples, 'turbostream_budget_remaining_dollars', { scope: 'provider:openai' })).toBeCloseTo(
          50 - dollars,
          6,
        );

      // No label holds an id: not a window's, a job's, an alert's, nor any entry id.
      const ids = new Set([
        ...jobs.flatMap(({ data, job }) => [
          data.window.windowId,
          String(job.id),
          ...data.window.messages.map((message) => message.id),
        ]),
        ...alerts.map((alert) => alert.id),
      ]);
      const scrapes = [ingest, windower, ...analyzers];
      for (const sample of scrapes.flatMap((found) => found.samples))
        for (const value of Object.values(sample.labels)) {
          expect(ids.has(value), `${sample.name} ${value}`).toBe(false);
          expect(value, sample.name).not.toMatch(/\d{13}-\d+/);
        }
      // Every label set is the table's.
      const labelsOf = new Map<string, Set<string>>(
        Object.values(METRICS).map((spec) => [spec.name, new Set<string>(spec.labels)]),
      );
      for (const sample of scrapes.flatMap((found) => found.samples)) {
        const base = sample.name.replace(/_(bucket|sum|count)$/, '');
        const allowed = labelsOf.get(base) ?? labelsOf.get(sample.name);
        if (!allowed) continue; // process_*, nodejs_*, the collect error counter
        for (const label of Object.keys(sample.labels)) if (label !== 'le') expect(allowed.has(label)).toBe(true);
      }

      // Every metric the Grafana dashboard queries is in these scrapes (declared, with samples or not yet).
      const declared = new Set(scrapes.flatMap((found) => [...found.types.keys()]));
      const sampled = new Set(scrapes.flatMap((found) => found.samples.map((sample) => sample.name)));
      const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
      expect(queries.length).toBeGreaterThan(10);
      for (const query of queries)
        for (const name of metricNamesOf(query))
          expect(
            sampled.has(name) || declared.has(name.replace(/_(bucket|sum|count)$/, '')),
            `${name} (in ${query})`,
          ).toBe(true);
      // …and each service exports the table's metrics it should.
      for (const spec of Object.values(METRICS))
        for (const service of spec.services) {
          const found = service === 'ingest' ? ingest : service === 'windower' ? windower : analyzers[0];
          expect(found?.types.get(spec.name), `${spec.name} on ${service}`).toBe(spec.type);
        }
    });
  }, 120_000);
});
