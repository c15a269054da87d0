/**
 * `turbostream report` over the whole path, as separate OS processes (ingest, windower, two analyzers, a fake OpenAI):
 * a stream analysed by openai/gpt-4.1-mini with a comparison target openai/gpt-4o-mini that samples half the windows.
 * The report's counts are checked against what BullMQ holds and what the fake model answered: windows, messages,
 * alerts, tokens, dollars per 1,000 messages, a 429, a window failed for good, and the agreement of the two targets on
 * the windows both analysed.
 */
import { spawnSync } from 'node:child_process';
import { sampledIn, WindowJob } from '@turbostream/contracts';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../apps/cli/src/report/format-report.js';
import { PipelineHarness } from './support/pipeline-harness.js';
import { CLI, cliNodeFlags } from './support/service-process.js';
import { alertCitingWindow, firstRef, windowOf } from './support/window-answers.js';

const NAMESPACE = 'e2e-report';
const MAIN = { provider: 'openai', model: 'gpt-4.1-mini' } as const;
const COMPARE = { provider: 'openai', model: 'gpt-4o-mini' } as const;
const USAGE = { promptTokens: 1_000, completionTokens: 100 };
/** Per call: gpt-4.1-mini at $0.40 in and $1.60 out per million tokens. */
const MAIN_CALL_USD = (1_000 * 0.4 + 100 * 1.6) / 1e6;

/** The comparison model alerts on windows whose id has an even millisecond part. */
const compareAlerts = (windowId: string) => Number(windowId.split('-')[0]) % 2 === 0;

describe('turbostream report', () => {
  let pipeline: PipelineHarness<Redis>;
  let mainCalls = 0;
  let compareCalls = 0;

  redisTest.beforeAll(async ({ server }) => {
    pipeline = await PipelineHarness.start({
      redisUrl: server.url,
      client: () => server.client(),
      namespace: NAMESPACE,
      streams: ['rep'],
      subscribe: () => '{"op":"subscribe"}',
      model: MAIN.model,
      compare: `[{ provider: openai, model: ${COMPARE.model}, sample: 0.5 }]`,
      usage: USAGE,
      answer: (prompt, model) => {
        if (model === MAIN.model) {
          mainCalls += 1;
          // The first call is refused with a 429: recorded, and the job runs again.
          if (mainCalls === 1)
            return {
              status: 429,
              headers: { 'retry-after-ms': '100' },
              error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
            };
          return { content: alertCitingWindow(prompt), usage: USAGE, firstTokenDelayMs: 20 };
        }
        compareCalls += 1;
        // The first call is refused for good (HTTP 400): that window fails.
        if (compareCalls === 1)
          return { status: 400, error: { message: 'bad request', type: 'invalid_request_error' } };
        const windowId = windowOf(prompt) ?? '';
        const ref = firstRef(prompt);
        // Cites the first row and the second: half the evidence of the main target's when both exist.
        const alerts = compareAlerts(windowId)
          ? [{ severity: 'critical', title: 'seen', summary: 'by the comparison model', evidence: [ref, '2'] }]
          : [];
        return { content: JSON.stringify({ alerts }), usage: USAGE, firstTokenDelayMs: 20 };
      },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  function report(args: string[]) {
    const result = spawnSync(process.execPath, [...cliNodeFlags(), CLI, 'report', ...args], {
      cwd: pipeline.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...pipeline.env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('counts what was analysed per target, and the agreement of a sampled comparison target', async () => {
    await pipeline.dumpOnFailure(async () => {
      await pipeline.sendMessages(400);
      // Every message in a completed window of the main target, and no job of either target left to run.
      const jobs = await waitFor(
        async () => {
          const counts = await pipeline.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          if (Object.values(counts).some((count) => count > 0)) return undefined;
          const completed = await pipeline.completedJobs();
          const main = completed.filter(({ data }) => data.target.model === MAIN.model);
          const messages = main.reduce((sum, { data }) => sum + data.window.messages.length, 0);
          return messages === pipeline.sent ? completed : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: 'every window analysed' },
      );
      const failedJobs = (await pipeline.queue.getJobs(['failed'], 0, -1)).map((job) => WindowJob.parse(job.data));
      const main = jobs.filter(({ data }) => data.target.model === MAIN.model).map(({ data }) => data.window);
      const compared = jobs.filter(({ data }) => data.target.model === COMPARE.model).map(({ data }) => data.window);

      // Sampling, end to end: the comparison target got jobs for exactly the windows in its sample.
      expect(failedJobs.map((job) => job.target.model)).toEqual([COMPARE.model]);
      const sampledWindows = [...compared, ...failedJobs.map((job) => job.window)].map((window) => window.windowId);
      expect(sampledWindows.sort()).toEqual(
        main
          .map((window) => window.windowId)
          .filter((windowId) => sampledIn('rep', windowId, COMPARE, 0.5))
          .sort(),
      );
      expect(compared.length).toBeGreaterThan(0);
      expect(compared.length).toBeLessThan(main.length);

      const read = async () => {
        const result = report(['--json']);
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as Report;
      };
      // The failure is recorded once BullMQ has moved the job to failed: wait for it.
      const json = await waitFor(
        async () => {
          const found = await read();
          return found.streams[0]?.targets[1]?.failed === 1 ? found : undefined;
        },
        { timeoutMs: 10_000, description: 'the report to count the failed window' },
      );
      expect(json).toMatchObject({
        v: 1,
        since: '1h',
        stream: null,
        log: { key: `${NAMESPACE}:analyses`, trimmed: false },
      });
      expect(Date.parse(json.to) - Date.parse(json.from)).toBe(3_600_000);
      expect(json.streams.map((stream) => stream.streamId)).toEqual(['rep']);
      const [stream] = json.streams;
      const [mainScore, compareScore] = stream?.targets ?? [];

      expect(mainScore).toMatchObject({
        target: 'openai/gpt-4.1-mini',
        windows: main.length,
        messages: pipeline.sent,
        windowsWithAlerts: main.length,
        alerts: { critical: 0, warning: main.length, info: 0, total: main.length },
        inputTokens: USAGE.promptTokens * main.length,
        outputTokens: USAGE.completionTokens * main.length,
        unpricedWindows: 0,
        failed: 0,
        rateLimited: 1,
      });
      expect(mainScore?.costUsd).toBeCloseTo(MAIN_CALL_USD * main.length, 12);
      expect(mainScore?.usdPer1kMessages).toBeCloseTo(((MAIN_CALL_USD * main.length) / pipeline.sent) * 1_000, 12);
      expect(mainScore?.ttftMs?.p50).toBeGreaterThanOrEqual(15);
      expect(mainScore?.totalMs?.p95).toBeGreaterThanOrEqual(mainScore?.ttftMs?.p95 ?? 0);

      const alerted = compared.filter((window) => compareAlerts(window.windowId));
      expect(compareScore).toMatchObject({
        target: 'openai/gpt-4o-mini',
        windows: compared.length,
        messages: compared.reduce((sum, window) => sum + window.messages.length, 0),
        windowsWithAlerts: alerted.length,
        alerts: { critical: alerted.length, warning: 0, info: 0, total: alerted.length },
        failed: 1,
        rateLimited: 0,
      });

      // Agreement only on the windows both analysed: the comparison target's (the failed one is not among them).
      const overlaps = alerted.map((window) => (window.messages.length >= 2 ? 0.5 : 1));
      expect(stream?.agreement).toEqual([
        {
          a: 'openai/gpt-4.1-mini',
          b: 'openai/gpt-4o-mini',
          windows: compared.length,
          bothAlerted: alerted.length,
          onlyA: compared.length - alerted.length,
          onlyB: 0,
          neither: 0,
          agreementRate: alerted.length / compared.length,
          evidenceOverlap:
            overlaps.length > 0
              ? expect.closeTo(overlaps.reduce((sum, value) => sum + value, 0) / overlaps.length, 9)
              : null,
          overlapWindows: overlaps.length,
        },
      ]);

      const text = report(['--since', '30m']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^Analyses of the last 30m \(.* to .*; --since changes it\): \d+ records\n/);
      expect(text.stdout).toMatch(
        new RegExp(`\\n  openai/gpt-4\\.1-mini +${main.length} +${main.length} +0/${main.length}/0 `),
      );
      expect(text.stdout).toContain(
        `openai/gpt-4.1-mini vs openai/gpt-4o-mini: ${compared.length} window${compared.length === 1 ? '' : 's'} both ` +
          `analysed; both alerted ${alerted.length}, only openai/gpt-4.1-mini ${compared.length - alerted.length}, only ` +
          'openai/gpt-4o-mini 0, neither 0',
      );

      const other = report(['--stream', 'nope', '--json']);
      expect(JSON.parse(other.stdout)).toMatchObject({ stream: 'nope', streams: [{ streamId: 'nope', targets: [] }] });
      expect(report(['--stream', 'nope']).stdout).toContain('nope\n  no analyses recorded in this period');
      const bad = report(['--since', 'yesterday']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--since expects a duration like 30m, 1h or 2d');
    });
  }, 120_000);
});
