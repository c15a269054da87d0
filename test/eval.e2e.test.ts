/**
 * `turbostream eval` as users run it: the built CLI replays the labelled corpus through the real windower, prompts
 * and providers (the heuristic, and OpenAI's SDK against a fake that answers deterministically), then scores it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInCorpus, type Score } from '@turbostream/eval';
import { chatMessages, startFakeOpenAI } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { beforeAll, describe, expect } from 'vitest';
import { assertCliBuilt, CLI, cliNodeFlags } from './support/service-process.js';

const API_KEY = 'sk-eval-e2e-0123456789abcdef';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process (the fake model answers from it). */
function turbostream(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const cwd = mkdtempSync(join(tmpdir(), 'turbostream-eval-e2e-'));
  const child = spawn(process.execPath, [...cliNodeFlags(), CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The refs of every row the prompt's fence shows (the first cell of each line that is not a header). */
function allRefs(prompt: string): string[] {
  const fenced = /<stream_data>\n([\s\S]*?)\n<\/stream_data>/.exec(prompt)?.[1] ?? '';
  return fenced.split('\n').flatMap((line) => /^(\d+),/.exec(line)?.[1] ?? []);
}

interface JsonReport {
  feeds: { name: string; windows: number }[];
  targets: { target: string; figures: Score['overall']; score: Score; calls: number; failures: number }[];
  agreement?: { foundByAll: number; foundBySome: number; foundByNone: number };
}

describe('turbostream eval', () => {
  beforeAll(() => assertCliBuilt());

  redisTest(
    'scores the heuristic on the built-in corpus through the real windower, on a throwaway redis-server',
    async () => {
      const run = await turbostream(['eval', '--target', 'heuristic', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as JsonReport;
      // The windower cuts every feed's 400 messages into windows of 50, as the corpus is laid out for.
      expect(report.feeds.map((feed) => [feed.name, feed.windows])).toEqual(
        builtInCorpus().map((feed) => [feed.name, 8]),
      );
      const [heuristic] = report.targets;
      expect(heuristic).toMatchObject({ target: 'heuristic/mad', calls: 32, failures: 0 });
      // What it finds: the numeric outliers and error lines, none of the trends or missing data (BENCHMARKS.md).
      expect(heuristic?.score.incidents.filter((incident) => incident.found).map((i) => i.incidentId)).toEqual([
        'trades-price-spike',
        'trades-flash-crash',
        'service-logs-error-burst',
        'service-logs-critical-line',
        'telemetry-out-of-range',
      ]);
      expect(heuristic?.figures.falseAlarms).toBe(5);
    },
    60_000,
  );

  redisTest(
    'scores LLM targets side by side: the SDK, the prompt refs and the evidence mapping back to corpus messages',
    async ({ server, redis }) => {
      // gpt-4.1-mini cites every row of every window as critical; gpt-4o-mini never alerts.
      const fake = await startFakeOpenAI({
        apiKey: API_KEY,
        handler: (request) => {
          const user = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
          const cite = (request.body as { model?: string }).model === 'gpt-4.1-mini';
          const alerts = cite
            ? [{ severity: 'critical', title: 'everything', summary: 'all of it', evidence: allRefs(user) }]
            : [];
          return { content: JSON.stringify({ alerts }), usage: { promptTokens: 1_000, completionTokens: 100 } };
        },
      });
      try {
        const run = await turbostream(
          ['eval', '--target', 'openai/gpt-4.1-mini', '--target', 'openai/gpt-4o-mini', '--corpus', 'trades', '--json'],
          { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: fake.url, REDIS_URL: server.url },
        );
        expect(run.code, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout) as JsonReport;
        const [citing, silent] = report.targets;
        // Every incident is cited from every window that holds it: each ref came back as its corpus message.
        expect(citing?.figures).toMatchObject({ incidents: 4, found: 4, recall: 1, severityAccuracy: 1, alerts: 8 });
        expect(citing?.score.alerts.every((alert) => alert.unknownEvidence.length === 0)).toBe(true);
        expect(citing?.score.alerts.flatMap((alert) => alert.evidence)).toHaveLength(400);
        // An alert of a window without an incident message is a false alarm.
        const windowsWithIncidents = new Set(citing?.score.incidents.flatMap((incident) => incident.windows)).size;
        expect(citing?.figures.matchingAlerts).toBe(windowsWithIncidents);
        expect(silent?.figures).toMatchObject({ found: 0, alerts: 0, recall: 0 });
        expect(report.agreement).toMatchObject({ foundByAll: 0, foundBySome: 4, foundByNone: 0 });
        // $0.40 in, $1.60 out per million tokens (gpt-4.1-mini), 1,000 in and 100 out a window.
        expect((report.targets[0] as { costUsd?: number }).costUsd).toBeCloseTo(
          (8 * (1_000 * 0.4 + 100 * 1.6)) / 1e6,
          12,
        );
        // The replay's namespace is gone from the Redis it used.
        expect(await redis.keys('eval-*')).toEqual([]);
      } finally {
        await fake.close();
      }
    },
    60_000,
  );

  redisTest('prints a readable table, and reads a labelled file of the user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbostream-eval-corpus-'));
    const file = join(dir, 'my-feed.jsonl');
    const lines = Array.from({ length: 30 }, (_, index) =>
      JSON.stringify({
        data: { value: index === 17 ? 900 : 10 + (index % 3) },
        ...(index === 17 ? { label: { incident: 'spike', severity: 'warning' } } : {}),
      }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const run = await turbostream(['eval', '--target', 'heuristic', '--corpus', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('heuristic/mad');
    expect(run.stdout).toMatch(/\| my-feed \| 1\/1 \| 100\.0 % \|/);
    expect(run.stdout).toContain('calls 1, failed 0');
  });

  redisTest(
    'refuses an unconfigured provider naming its variable, and an unknown corpus naming the known ones',
    async () => {
      const unconfigured = await turbostream(['eval', '--target', 'anthropic/claude-sonnet-4-5']);
      expect(unconfigured.code).toBe(2);
      expect(unconfigured.stderr).toContain('ANTHROPIC_API_KEY');
      const unknown = await turbostream(['eval', '--target', 'heuristic', '--corpus', 'weather']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('trades, service-logs, telemetry, quiet');
      const none = await turbostream(['eval']);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('at least one --target');
    },
  );
});
