/**
 * A stream's dollar budget across processes: `turbostream ingest`, `windower` and two `analyzer` processes against a
 * fake of the Chat Completions API. Once the budget is spent, no analyzer calls the model again that day: the windows
 * wait (delayed, none failed or dropped) or stay in the stream (the windower stops cutting them), `budget.exhausted`
 * is published once, and `turbostream streams` shows it.
 */
import { spawnSync } from 'node:child_process';
import { compareEntryIds, fieldsToObject, OpsEvent, WindowJob } from '@turbostream/contracts';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineHarness } from './support/pipeline-harness.js';
import { CLI, cliNodeFlags } from './support/service-process.js';

const NAMESPACE = 'budgete2e';

describe('budgets across processes', () => {
  let pipeline: PipelineHarness<Redis>;

  redisTest.beforeAll(async ({ server }) => {
    pipeline = await PipelineHarness.start({
      redisUrl: server.url,
      client: () => server.client(),
      namespace: NAMESPACE,
      streams: ['spendy'],
      subscribe: () => '{"op":"subscribe"}',
      // gpt-4.1-mini: $0.40 in, $1.60 out per million tokens. A call is estimated at LLM_MAX_TOKENS (1000) of output,
      // at least $0.0016, and costs $0.0024 (2000 in, 1000 out): $0.003 pays for the first call and never a second.
      model: 'gpt-4.1-mini',
      budget: '{ usdPerDay: 0.003 }',
      usage: { promptTokens: 2_000, completionTokens: 1_000 },
      env: { LLM_MAX_TOKENS: '1000' },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('calls the model once, then keeps every other window waiting, reports it once, and shows BUDGET', async () => {
    await pipeline.dumpOnFailure(async () => {
      pipeline.delayMs = 50;
      await pipeline.sendMessages(100);
      // 100 messages, 20 a window: one window analysed; the others wait for the next UTC day, as delayed jobs when
      // they were cut before the windower saw the budget spent, else as entries of the stream it no longer windows.
      const unwindowed = async () => {
        const jobs = await pipeline.queue.getJobs(['completed', 'delayed'], 0, -1);
        const last = jobs
          .map((job) => WindowJob.parse(job.data).window.lastEntryId)
          .sort(compareEntryIds)
          .at(-1);
        const rest = await pipeline.redis.xrange(pipeline.keys.messages('spendy'), last ? `(${last}` : '-', '+');
        const windowed = jobs.reduce((sum, job) => sum + WindowJob.parse(job.data).window.messages.length, 0);
        return { windowed, rest: rest.length, delayed: jobs.length - 1 };
      };
      const settled = await waitFor(
        async () => {
          if ((await pipeline.queue.getCompletedCount()) !== 1) return undefined;
          const counts = await unwindowed();
          return counts.delayed >= 1 && counts.windowed + counts.rest === 100 ? counts : undefined;
        },
        { timeoutMs: 30_000, description: 'one window analysed and every other message waiting' },
      );
      expect(pipeline.llm.requests).toHaveLength(1);
      expect(await pipeline.queue.getFailedCount()).toBe(0);
      const [completed] = await pipeline.completedJobs();
      expect(completed?.result.costUsd).toBeCloseTo((2_000 * 0.4 + 1_000 * 1.6) / 1e6, 12);

      const events = (await pipeline.redis.xrange(pipeline.keys.eventLog, '-', '+'))
        .map(([, fields]) => OpsEvent.parse(JSON.parse(fieldsToObject(fields).event ?? 'null')))
        .filter((event) => event.type === 'budget.exhausted');
      expect(events).toHaveLength(1);
      const nextMidnight = new Date((Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000).toISOString();
      expect(events[0]).toMatchObject({
        service: 'analyzer',
        streamId: 'spendy',
        details: { scope: 'stream:spendy', limit: 'usdPerDay', value: 0.003, resetsAt: nextMidnight },
      });

      const listed = spawnSync(process.execPath, [...cliNodeFlags(), CLI, 'streams'], {
        cwd: pipeline.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...pipeline.env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(listed.status, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('  budget    $0.0024 of $0.003 today (UTC)');
      expect(listed.stdout).toMatch(/\n {2}source {4}up since \d{4}-\d\d-\d\dT/);
      // The windower stopped cutting: what it left in the stream is its lag (one more window may have gone since).
      const lag = Number(/\n {2}lag {7}(\d+) entries, [\d.]+ s\n/.exec(listed.stdout)?.[1]);
      expect(lag).toBeLessThanOrEqual(settled.rest);
      expect(lag).toBeGreaterThanOrEqual(Math.max(0, settled.rest - 20));
      expect(listed.stdout).toContain(
        `  BUDGET    stream spendy: usdPerDay spent; its windows wait until ${nextMidnight}`,
      );
      // The windower may cut one more window while it learns that the budget is spent (it reads the mark at most
      // once a second): the delayed count can have grown since.
      const delayed = Number(
        /openai +\d live analyzers?; jobs waiting \d+, active \d+, delayed (\d+), failed 0, completed 1/.exec(
          listed.stdout,
        )?.[1],
      );
      expect(delayed).toBeGreaterThanOrEqual(settled.delayed);
    });
  });
});
