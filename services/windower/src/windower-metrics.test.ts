import { randomUUID } from 'node:crypto';
import type { StreamConfig } from '@turbostream/config';
import { createLogger } from '@turbostream/logging';
import { parseMetricsText, type Sample, TurboMetrics } from '@turbostream/metrics';
import { createKeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { Windower } from './windower.js';

const logger = createLogger({ level: 'silent' });

const stream: StreamConfig = {
  id: 'feed',
  source: { url: 'ws://127.0.0.1:1', subscribe: [], headers: {}, format: 'json' },
  window: { maxMessages: 10, maxBytes: 262_144, maxSeconds: 3_600 },
  targets: [
    { provider: 'heuristic', model: 'h1' },
    { provider: 'ollama', model: 'llama3:8b' },
  ],
  instructions: 'Alert on anything odd.',
  budget: { usdPerDay: 2, tokensPerMinute: 5_000 },
};

const value = (samples: readonly Sample[], name: string, labels: Record<string, string>) =>
  samples.find(
    (sample) => sample.name === name && Object.entries(labels).every(([key, want]) => sample.labels[key] === want),
  )?.value;

describe('Windower metrics', () => {
  redisTest(
    'counts windows sealed and reads, for the streams it owns, lag, queue depths and budgets left',
    async ({ redis, namespace }) => {
      const keys = createKeyLayout(namespace);
      const metrics = new TurboMetrics();
      const settings = { pollMs: 20, leaseMs: 2_000, maxQueued: 100_000, retentionMs: 3_600_000 };
      const owner = new Windower({ redis, keys, logger, streams: [stream], settings, owner: 'w-1', metrics });
      // A second windower of the same stream in another process: it owns nothing, so it reports no lag.
      const otherMetrics = new TurboMetrics();
      const other = new Windower({
        redis,
        keys,
        logger,
        streams: [stream],
        settings,
        owner: `w-2-${randomUUID().slice(0, 4)}`,
        metrics: otherMetrics,
      });
      try {
        const base = Date.now() - 10_000;
        const pipeline = redis.pipeline();
        for (let index = 0; index < 25; index += 1)
          pipeline.xadd(
            keys.messages('feed'),
            `${base + index * 100}-0`,
            'kind',
            'message',
            'data',
            `{"n":${index}}`,
            'receivedAt',
            String(base + index * 100),
          );
        await pipeline.exec();
        await owner.start();
        await waitFor(() => owner.stats().streams[0]?.windows === 2, { description: 'two windows sealed' });
        await other.start();

        const { samples } = parseMetricsText(await metrics.text());
        expect(value(samples, 'turbostream_windower_windows_sealed_total', { stream: 'feed' })).toBe(2);
        // The open window: 5 entries, from the 20th entry's time (the last sealed one's is the 19th) to the 25th's.
        expect(value(samples, 'turbostream_windower_lag_entries', { stream: 'feed' })).toBe(5);
        expect(value(samples, 'turbostream_windower_lag_seconds', { stream: 'feed' })).toBeCloseTo(0.5, 9);
        // No analyzer runs: each target's two jobs wait in its provider's queue.
        for (const provider of ['heuristic', 'ollama']) {
          expect(value(samples, 'turbostream_queue_jobs', { provider, state: 'waiting' })).toBe(2);
          expect(value(samples, 'turbostream_queue_jobs', { provider, state: 'active' })).toBe(0);
        }
        expect(value(samples, 'turbostream_budget_remaining_dollars', { scope: 'stream:feed' })).toBe(2);
        expect(value(samples, 'turbostream_budget_remaining_tokens', { scope: 'stream:feed' })).toBe(5_000);

        const others = parseMetricsText(await otherMetrics.text()).samples;
        expect(others.filter((sample) => sample.name.startsWith('turbostream_windower_lag'))).toEqual([]);
        expect(others.filter((sample) => sample.name.startsWith('turbostream_budget'))).toEqual([]);
      } finally {
        await Promise.all([owner.close(), other.close()]);
      }
      // Closed: its scrape-time sources are gone.
      const after = parseMetricsText(await metrics.text()).samples;
      expect(after.filter((sample) => sample.name === 'turbostream_queue_jobs')).toEqual([]);
    },
  );
});
