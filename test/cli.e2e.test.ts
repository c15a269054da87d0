/** The `turbostream` command as users run it: help, config check, bad configuration, and `up` with the demo. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert } from '@turbostream/contracts';
import { type RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI, cliNodeFlags, ServiceProcess } from './support/service-process.js';

const SECRET = 'sk-cli-test-secret-9876543210';

function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function turbostream(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [...cliNodeFlags(), CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OPENAI_API_KEY: SECRET, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

describe('turbostream command', () => {
  beforeAll(() => assertCliBuilt());

  it('prints help for every command, without secrets', () => {
    const cwd = workspace();
    for (const args of [
      ['--help'],
      ['up', '--help'],
      ['ingest', '--help'],
      ['windower', '--help'],
      ['analyzer', '--help'],
      ['alerts', '--help'],
      ['demo-feed', '--help'],
      ['config', '--help'],
      ['report', '--help'],
    ]) {
      const result = turbostream(args, cwd);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/Usage: turbostream/);
      expect(result.output).not.toContain(SECRET);
    }
  });

  it('rejects an unknown command or option with a pointer to help', () => {
    const cwd = workspace();
    expect(turbostream(['launch'], cwd)).toMatchObject({ code: 2 });
    const bad = turbostream(['alerts', '--colour'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('turbostream alerts --help');
  });

  it('config check prints the effective configuration with the key masked', () => {
    const cwd = workspace({
      'streams.yaml':
        'streams:\n  - id: s1\n    source: { url: "wss://example.com/feed?token=tok-secret-123" }\n    analysis: ' +
        '{ provider: openai, model: gpt-x }\n',
    });
    const result = turbostream(['config', 'check'], cwd);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('openai        configured; key ****3210');
    expect(result.stdout).toContain('target   openai / gpt-x');
    expect(result.stdout).toContain('configuration OK');
    expect(result.stdout).toContain('s1  wss://example.com/feed?…');
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toContain('tok-secret-123');
  });

  it('stops start-up on a malformed streams.yaml or env.local, naming the field', () => {
    const badStreams = workspace({
      'streams.yaml':
        'streams:\n  - id: s1\n    source: { url: wss://example.com }\n    window: { maxMessages: -5 }\n' +
        '    analysis: { provider: heuristic }\n',
    });
    for (const command of [['config', 'check'], ['up'], ['ingest']]) {
      const result = turbostream(command, badStreams);
      expect(result.code, command.join(' ')).not.toBe(0);
      expect(result.stderr).toContain('streams.yaml: streams[0].window.maxMessages: expected a message count above 0');
    }
    const badEnv = workspace({ 'env.local': 'ANALYZER_CONCURRENCY=lots\n' });
    const result = turbostream(['up'], badEnv);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('env.local: ANALYZER_CONCURRENCY: expected a number of jobs (got "lots")');
  });

  describe('providers and streams', () => {
    let server: RedisServer;
    redisTest.beforeAll(({ server: fileServer }) => {
      server = fileServer;
    });

    it('lists every provider with the right state for a partly configured env.local', () => {
      const cwd = workspace({
        'env.local': `OPENAI_MODEL=gpt-x\nANTHROPIC_MODEL=claude-x\nOLLAMA_BASE_URL=http://127.0.0.1:1/v1\n`,
      });
      const result = turbostream(['providers'], cwd, { REDIS_URL: server.url });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('openai        configured; key ****3210, model gpt-x');
      expect(result.stdout).toContain('anthropic     not configured: set ANTHROPIC_API_KEY; model claude-x');
      expect(result.stdout).toContain('ollama        configured; no default model, base URL http://127.0.0.1:1/v1');
      expect(result.stdout).toContain(
        'azure-openai  not configured: set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, AZURE_OPENAI_DEPLOYMENT_NAME',
      );
      expect(result.stdout).toContain('heuristic     configured');
      expect(result.stdout).toContain('live analyzers serving it: 0');
      // The default model's price, or the warning that its alerts will carry no cost.
      expect(result.stdout).toContain('gpt-x: no price: costUsd will be null; add it to prices.yaml');
      expect(result.stdout).toMatch(/price of mad: \$0 in, \$0 cached, \$0 out per million tokens \(built in/);
      expect(result.stdout).not.toContain('claude-x: no price');
      expect(result.output).not.toContain(SECRET);
    });

    it('shows the price of each configured provider’s default model from the built-in table and prices.yaml', () => {
      const cwd = workspace({
        'env.local':
          'OPENAI_MODEL=gpt-4.1-mini-2025-04-14\nAZURE_OPENAI_ENDPOINT=https://example.openai.azure.com\n' +
          'AZURE_OPENAI_API_KEY=azure-key-0123456789\nAZURE_OPENAI_DEPLOYMENT_NAME=prod-mini\n',
        'prices.yaml':
          'prices:\n  - { provider: azure-openai, model: prod-mini, inputPerMTok: 0.44, cachedInputPerMTok: 0.11, ' +
          'outputPerMTok: 1.76, source: our Azure contract, asOf: 2026-11-30 }\n',
      });
      const table = turbostream(['providers'], cwd, { REDIS_URL: server.url });
      expect(table.code).toBe(0);
      expect(table.stdout).toContain(
        'price of gpt-4.1-mini-2025-04-14: $0.4 in, $0.1 cached, $1.6 out per million tokens ' +
          '(https://developers.openai.com/api/docs/pricing, 2026-11-30)',
      );
      expect(table.stdout).toContain(
        'price of prod-mini: $0.44 in, $0.11 cached, $1.76 out per million tokens (our Azure contract, 2026-11-30)',
      );
      const json = turbostream(['providers', '--json'], cwd, { REDIS_URL: server.url });
      const rows = JSON.parse(json.stdout) as { id: string; price?: unknown; priceWarning?: string }[];
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(byId.get('azure-openai')?.price).toMatchObject({ inputPerMTok: 0.44, source: 'our Azure contract' });
      expect(byId.get('openai')?.price).toMatchObject({
        inputPerMTok: 0.4,
        cachedInputPerMTok: 0.1,
        outputPerMTok: 1.6,
      });
      expect(byId.get('anthropic')).not.toHaveProperty('price');

      writeFileSync(join(cwd, 'prices.yaml'), 'prices: [{ provider: azure-openai, model: prod-mini }]\n');
      const bad = turbostream(['providers', '--json'], cwd, { REDIS_URL: server.url });
      expect(bad.stderr).toContain('warning: price file not used (built-in prices shown): prices.yaml: prices[0]');
      const azure = (JSON.parse(bad.stdout) as { id: string; price?: unknown; priceWarning?: string }[]).find(
        (row) => row.id === 'azure-openai',
      );
      expect(azure).toMatchObject({
        price: null,
        priceWarning: 'no price: costUsd will be null; add it to prices.yaml',
      });
    });

    it('--check makes one tiny real call to each configured provider and prints its timings', async () => {
      const fake = await startFakeOpenAI({
        apiKey: SECRET,
        handler: () => ({ content: '{"alerts":[]}', firstTokenDelayMs: 30 }),
      });
      try {
        // Spawned asynchronously: the fake answers from this process's event loop.
        const check = new ServiceProcess('providers', ['providers', '--check'], {
          cwd: workspace(),
          env: { OPENAI_API_KEY: SECRET, REDIS_URL: server.url, OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'gpt-check' },
        });
        const code = await check.exited;
        const result = { code, stdout: check.output };
        expect(result.stdout).toMatch(/check OK with gpt-check: time to first token \d+ ms, total \d+ ms/);
        expect(result.stdout).toContain('gpt-check: no price: costUsd will be null; add it to prices.yaml');
        expect(result.stdout).toMatch(/heuristic[\s\S]*check OK with mad/);
        expect(fake.requests).toHaveLength(1);
        expect(result.code).toBe(0);
      } finally {
        await fake.close();
      }
    });

    it('--check shows the message of a failing provider with its control characters escaped', async () => {
      const fake = await startFakeOpenAI({
        apiKey: SECRET,
        handler: () => ({
          status: 400,
          error: { message: 'bad model \u001b[2J\u001b]0;pwned\u0007 name', type: 'invalid_request_error' },
        }),
      });
      try {
        const check = new ServiceProcess('providers', ['providers', '--check'], {
          cwd: workspace(),
          env: { OPENAI_API_KEY: SECRET, REDIS_URL: server.url, OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'gpt-check' },
        });
        await check.exited;
        expect(check.output).toMatch(/check FAILED with gpt-check: .*bad model \\x1b\[2J\\x1b\]0;pwned\\x07 name/);
        expect([...check.output].filter((char) => char === '\u0007' || char === '\u001b')).toEqual([]);
      } finally {
        await fake.close();
      }
    });

    it('sets, lists and resets the targets of a stream while running', () => {
      const cwd = workspace({
        'streams.yaml':
          'streams:\n  - id: s1\n    source: { url: "wss://example.com/feed?token=tok-secret-456" }\n' +
          '    analysis: { provider: heuristic }\n    compare: [{ provider: openai, model: gpt-a }]\n',
      });
      const env = { REDIS_URL: server.url, TURBOSTREAM_NAMESPACE: 'clistreams' };
      const set = turbostream(['streams', 'set', 's1', '--provider', 'openai', '--model', 'gpt-b'], cwd, env);
      expect(set.code, set.output).toBe(0);
      expect(set.stdout).toContain(
        'stream s1: from the next window on, analysed by openai/gpt-b, openai/gpt-a (was heuristic/mad, openai/gpt-a)',
      );
      expect(set.stdout).toContain('warning: no live analyzer serves openai right now');
      const listed = turbostream(['streams'], cwd, env);
      expect(listed.stdout).toContain('targets   openai/gpt-b, openai/gpt-a  (set while running by');
      expect(listed.stdout).toContain('file: heuristic/mad, openai/gpt-a');
      expect(listed.stdout).toContain('s1  wss://example.com/feed?…');
      expect(listed.output).not.toContain('tok-secret-456');
      const unknown = turbostream(['streams', 'set', 'nope', '--provider', 'openai', '--model', 'm'], cwd, env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('no stream "nope"');
      const badProvider = turbostream(['streams', 'set', 's1', '--provider', 'skynet', '--model', 'm'], cwd, env);
      expect(badProvider.stderr).toContain('unknown provider "skynet"');
      const reset = turbostream(['streams', 'set', 's1', '--reset'], cwd, env);
      expect(reset.stdout).toContain("stream s1: back to the streams file's targets: heuristic/mad, openai/gpt-a");
      expect(turbostream(['streams'], cwd, env).stdout).toContain('(from the streams file)');
    });

    it('sets comparison targets that sample (P/M@share), keeps their samples, and refuses a share out of range', () => {
      const cwd = workspace({
        'streams.yaml':
          'streams:\n  - id: s2\n    source: { url: "wss://example.com/feed" }\n' +
          '    analysis: { provider: heuristic }\n    compare: [{ provider: openai, model: gpt-a, sample: 0.2 }]\n',
      });
      const env = { REDIS_URL: server.url, TURBOSTREAM_NAMESPACE: 'clisamples' };
      expect(turbostream(['streams'], cwd, env).stdout).toContain('targets   heuristic/mad, openai/gpt-a@0.2');
      const kept = turbostream(['streams', 'set', 's2', '--provider', 'openai', '--model', 'gpt-b'], cwd, env);
      expect(kept.stdout).toContain('analysed by openai/gpt-b, openai/gpt-a@0.2 (was heuristic/mad, openai/gpt-a@0.2)');
      const set = turbostream(
        [
          'streams',
          'set',
          's2',
          '--provider',
          'heuristic',
          '--compare',
          'openai/gpt-c@0.05',
          '--compare',
          'openai/v@1',
        ],
        cwd,
        env,
      );
      expect(set.code, set.output).toBe(0);
      expect(set.stdout).toContain('analysed by heuristic/mad, openai/gpt-c@0.05, openai/v (was openai/gpt-b');
      const listed = turbostream(['streams', '--json'], cwd, env);
      expect(JSON.parse(listed.stdout)[0]).toMatchObject({ samples: { 'openai/gpt-c': 0.05 } });
      const bad = turbostream(
        ['streams', 'set', 's2', '--provider', 'heuristic', '--compare', 'openai/x@1.5'],
        cwd,
        env,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        '--compare openai/x@1.5: expected a share of windows above 0 and at most 1 (got "1.5")',
      );
      // a model name may hold an @ that is not a share
      const named = turbostream(
        ['streams', 'set', 's2', '--provider', 'heuristic', '--compare', 'openai/m@20240620'],
        cwd,
        env,
      );
      expect(named.stdout).toContain('analysed by heuristic/mad, openai/m@20240620 (was');
    });
  });

  describe('up', () => {
    let server: RedisServer;
    let subscriber: Redis;
    const published: Alert[] = [];

    redisTest.beforeAll(async ({ server: fileServer }) => {
      server = fileServer;
      subscriber = server.client();
      subscriber.on('message', (_channel: string, message: string) => published.push(Alert.parse(JSON.parse(message))));
      // REDIS_URL names a Redis that is not the demo's own: the demo keeps to the namespace turbostream-demo there.
      await subscriber.subscribe('turbostream-demo:alerts');
    });

    afterAll(async () => {
      subscriber?.disconnect();
    });

    it('runs the demo with the heuristic provider when there is no streams.yaml, printing and publishing ' +
      'alerts', async () => {
      const up = new ServiceProcess('up', ['up'], {
        cwd: workspace(),
        env: { REDIS_URL: server.url, LOG_LEVEL: 'warn' },
      });
      try {
        // Its standard output is not a terminal: alerts are printed as JSON lines.
        await waitFor(() => up.output.includes('{"v":1,"id":"demo-market.'), {
          timeoutMs: 30_000,
          intervalMs: 100,
          description: 'a demo alert printed by turbostream up',
        });
        expect(up.output).toContain(`using Redis at ${server.url}`);
        expect(up.output).toContain('watching the built-in demo feed');
        expect(up.output).toContain('demo-market → heuristic/mad');
        await waitFor(() => published.length > 0, {
          timeoutMs: 5_000,
          description: 'the alert on turbostream-demo:alerts',
        });
        expect(published[0]).toMatchObject({ v: 1, streamId: 'demo-market', provider: 'heuristic', model: 'mad' });
        expect(await up.stop()).toBe(0);
      } catch (error) {
        process.stderr.write(`----- up -----\n${up.output}\n`);
        throw error;
      } finally {
        await up.kill();
      }
    }, 60_000);
  });
});
