/**
 * The whole data path as separate OS processes: redis-server, a loopback
 * WebSocket source, `turbostream ingest`, `turbostream windower` and two
 * `turbostream analyzer` processes, analysing with the `openai` provider
 * through the official SDK against a loopback fake of the Chat Completions
 * API (streamed). Then SIGKILL one analyzer while it holds jobs.
 */
import { Alert, compareEntryIds } from '@turbostream/contracts';
import { chatMessages, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineHarness } from './support/pipeline-harness.js';
import { windowOf } from './support/window-answers.js';

const NAMESPACE = 'e2e';

describe('pipeline across processes', () => {
  let pipeline: PipelineHarness<Redis>;

  redisTest.beforeAll(async ({ server }) => {
    pipeline = await PipelineHarness.start({
      redisUrl: server.url,
      client: () => server.client(),
      namespace: NAMESPACE,
      streams: ['e2e'],
      subscribe: () => '{"op":"subscribe"}',
      env: { INGEST_MAX_FRAME_BYTES: '4096' },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it(
    'keeps binary, oversized, non-JSON and invalid UTF-8 frames aside in the dead-letter stream, and carries ' + 'on',
    async () => {
      await pipeline.dumpOnFailure(async () => {
        await pipeline.source.send(Buffer.from([0, 1, 2, 254, 255]), { binary: true });
        await pipeline.source.send(JSON.stringify({ padding: 'x'.repeat(5_000) }));
        await pipeline.source.send('this is not json');
        await pipeline.source.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
        const letters = await waitFor(
          async () => {
            const entries = await pipeline.redis.xrange(`${NAMESPACE}:deadletter`, '-', '+');
            return entries.length >= 4 ? entries.map(([, fields]) => fields) : undefined;
          },
          { timeoutMs: 10_000, description: 'four dead letters' },
        );
        const reasons = letters.map((fields) => fields[fields.indexOf('reason') + 1]).sort();
        expect(reasons).toEqual(['binary', 'invalid-utf8', 'not-json', 'oversized']);
        expect(pipeline.processes.every((service) => service.running)).toBe(true);
      });
    },
  );

  it('stores every message in exactly one window, analyses each window once, spreads work over both analyzers ' +
    'and publishes the alerts', async () => {
    await pipeline.dumpOnFailure(async () => {
      await pipeline.sendMessages(400);
      const jobs = await waitFor(pipeline.everyMessageWindowedOnce, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: 'every message in a completed window',
      });

      // Windows partition the stream: their entries, window after window, are the stream's entries in order (no gap, no
      // overlap).
      const windows = jobs.map(({ data }) => data.window).sort((a, b) => compareEntryIds(a.windowId, b.windowId));
      const streamIds = (await pipeline.redis.xrange(`${NAMESPACE}:{${NAMESPACE}:e2e}:messages`, '-', '+')).map(
        ([id]) => id,
      );
      expect(streamIds.length).toBe(pipeline.sent);
      expect(windows.flatMap((window) => window.messages.map((message) => message.id))).toEqual(streamIds);
      for (const window of windows) {
        expect(window.messages.length).toBeGreaterThan(0);
        expect(window.messages.length).toBeLessThanOrEqual(20);
        expect(window.windowId).toBe(window.messages[0]?.id);
      }

      // Each window was asked of the model exactly once, and by the model the stream names.
      const perWindow = new Map<string, number>();
      for (const request of pipeline.llm.requests.filter((candidate) => candidate.path.endsWith('/chat/completions'))) {
        const windowId = windowOf(chatMessages(request).find((message) => message.role === 'user')?.content ?? '');
        if (windowId) perWindow.set(windowId, (perWindow.get(windowId) ?? 0) + 1);
        expect((request.body as { model?: string }).model).toBe('gpt-e2e');
      }
      expect([...perWindow.keys()].sort()).toEqual(windows.map((window) => window.windowId).sort());
      expect([...perWindow.values()].every((count) => count === 1)).toBe(true);

      // Both analyzer processes took work.
      const analyzers = new Set(jobs.map(({ result }) => result.analyzer));
      expect(analyzers).toEqual(new Set(['analyzer-1', 'analyzer-2']));

      // A plain Redis subscriber received one alert per window, tagged with provider and model.
      await waitFor(() => pipeline.alertsSeen.length >= windows.length, {
        timeoutMs: 10_000,
        description: 'alerts on the channel',
      });
      expect(new Set(pipeline.alertsSeen.map((alert) => alert.windowId))).toEqual(
        new Set(windows.map((window) => window.windowId)),
      );
      expect(
        pipeline.alertsSeen.every(
          (alert) => alert.provider === 'openai' && alert.model === 'gpt-e2e' && alert.evidence[0] === alert.windowId,
        ),
      ).toBe(true);
      expect(pipeline.alertsSeen.every((alert) => alert.timings.ttftMs > 0 && alert.usage.inputTokens > 0)).toBe(true);
    });
  }, 120_000);

  it('loses nothing and duplicates no alert when an analyzer is SIGKILLed while it holds jobs', async () => {
    await pipeline.dumpOnFailure(async () => {
      const victim = pipeline.service('analyzer-1');
      pipeline.delayMs = 2_500;
      await pipeline.sendMessages(200);
      await pipeline.untilHoldsJob('analyzer-1');
      await victim.kill();
      pipeline.delayMs = 200;

      const jobs = await waitFor(pipeline.everyMessageWindowedOnce, {
        timeoutMs: 90_000,
        intervalMs: 250,
        description: 'every message in a completed window after the kill',
      });
      const windows = jobs.map(({ data }) => data.window.windowId);
      expect(new Set(windows).size).toBe(windows.length);
      expect(jobs.some(({ job }) => (job.stalledCounter ?? 0) > 0 || job.attemptsStarted > 1)).toBe(true);

      // The durable log holds exactly one alert per window: none lost, none duplicated.
      const log = await pipeline.redis.xrange(`${NAMESPACE}:alerts:log`, '-', '+');
      const logged = log.map(([, fields]) => Alert.parse(JSON.parse(fields[1] ?? '')));
      const ids = logged.map((alert) => alert.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(logged.map((alert) => alert.windowId))).toEqual(new Set(windows));
      expect(jobs.filter(({ result }) => result.analyzer === 'analyzer-2').length).toBeGreaterThan(0);
    });
  }, 150_000);
});
