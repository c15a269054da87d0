/**
 * `turbostream config check` as users run it: every problem in one run, look-alike warnings, and `config` without a
 * subcommand.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI, cliNodeFlags } from './support/service-process.js';

const SECRET = 'sk-config-check-secret-24680';

function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-config-check-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Runs the built CLI with a minimal environment, so the caller's variables cannot leak in. */
function turbostream(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [...cliNodeFlags(), CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LANG: 'C.UTF-8', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

const BAD_STREAMS = [
  'streams:',
  '  - { id: Bad Id, source: { url: wss://example.com }, analysis: { provider: heuristic } }',
  '  - { id: Bad Id, source: { url: wss://example.com }, window: { maxMessages: -5 }, analysis: { provider: ' +
    'heuristic } }',
  '',
].join('\n');

describe('turbostream config check', () => {
  beforeAll(() => assertCliBuilt());

  it('prints every problem in one run, env.local, environment and streams.yaml together, and exits 1', () => {
    const cwd = workspace({
      'env.local': `LLM_TIMEOUT_MS=soon\nREDIS_CLUSTER=yes\nOPENAI_APIKEY=${SECRET}\n`,
      'streams.yaml': BAD_STREAMS,
    });
    const result = turbostream(['config', 'check'], cwd, { DEFAULT_AI_PROVIDER: 'chatgpt' });
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain('The configuration has 7 problems:');
    for (const line of [
      'env.local: REDIS_CLUSTER: expected true, false, 1 or 0 (got "yes")',
      'env.local: LLM_TIMEOUT_MS: expected a timeout in milliseconds (got "soon")',
      'environment: DEFAULT_AI_PROVIDER: unknown provider "chatgpt": expected one of',
      'streams.yaml: streams[0].id: expected 1-64 characters of a-z, 0-9, _ or - (got "Bad Id")',
      'streams.yaml: streams[1].id: expected 1-64 characters of a-z, 0-9, _ or - (got "Bad Id")',
      'streams.yaml: streams[1].window.maxMessages: expected a message count above 0',
      'streams.yaml: streams[1].id: duplicate stream id "Bad Id" (streams[0] has it too)',
      'env.local: OPENAI_APIKEY: not a TurboStream variable; did you mean OPENAI_API_KEY?',
    ]) {
      expect(result.stderr).toContain(line);
    }
    expect(result.output).not.toContain(SECRET);
  });

  it('stops every command at start-up with the same complete list', () => {
    const cwd = workspace({ 'env.local': 'ANALYZER_CONCURRENCY=lots\n', 'streams.yaml': BAD_STREAMS });
    const result = turbostream(['ingest'], cwd, { DEFAULT_AI_PROVIDER: 'chatgpt' });
    expect(result.code, result.output).not.toBe(0);
    expect(result.stderr).toContain('env.local: ANALYZER_CONCURRENCY: expected a number of jobs (got "lots")');
    expect(result.stderr).toContain('environment: DEFAULT_AI_PROVIDER: unknown provider "chatgpt"');
    expect(result.stderr).toContain('streams.yaml: streams[1].id: duplicate stream id "Bad Id"');
  });

  it('warns about a look-alike variable without failing, from env.local and from the environment', () => {
    const cwd = workspace({ 'env.local': `OPENAI_APIKEY=${SECRET}\n` });
    const result = turbostream(['config', 'check'], cwd, {
      REDISURL: 'redis://127.0.0.1:6390',
      npm_config_cache: '/tmp/npm',
      NODE_OPTIONS: '--no-warnings',
    });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(
      'warnings\n  env.local: OPENAI_APIKEY: not a TurboStream variable; did you mean OPENAI_API_KEY?\n' +
        '  environment: REDISURL: not a TurboStream variable; did you mean REDIS_URL?\n',
    );
    expect(result.output).not.toMatch(/npm_config_cache|NODE_OPTIONS|PATH:|HOME:/);
    expect(result.stdout).toContain('configuration OK');
    expect(result.output).not.toContain(SECRET);
  });

  it(
    'names the env file it looked for: a missing TURBOSTREAM_ENV_FILE is an error, a missing env.local is ' + 'fine',
    () => {
      const cwd = workspace();
      const fine = turbostream(['config', 'check'], cwd);
      expect(fine.code, fine.output).toBe(0);
      expect(fine.stdout).toContain('env file     (none: env.local not found; using the environment)');

      const missing = turbostream(['config', 'check'], cwd, { TURBOSTREAM_ENV_FILE: 'prod.env' });
      expect(missing.code, missing.output).toBe(1);
      expect(missing.stderr).toContain('environment: TURBOSTREAM_ENV_FILE: prod.env does not exist');
      expect(missing.output).not.toContain('env.local not found');

      writeFileSync(join(cwd, 'prod.env'), 'LOG_LEVEL=debug\n');
      const named = turbostream(['config', 'check'], cwd, { TURBOSTREAM_ENV_FILE: 'prod.env' });
      expect(named.code, named.output).toBe(0);
      expect(named.stdout).toContain(`env file     ${join(cwd, 'prod.env')}`);
    },
  );

  it(
    'says what was wrong before the help when the subcommand is missing or unknown, on stderr with exit code ' + '2',
    () => {
      const cwd = workspace();
      const bare = turbostream(['config'], cwd);
      expect(bare.code).toBe(2);
      expect(bare.stdout).toBe('');
      expect(bare.stderr.split('\n')[0]).toBe('turbostream config: expected a subcommand, `turbostream config check`');
      expect(bare.stderr).toContain('Usage: turbostream config check');

      const unknown = turbostream(['config', 'chek'], cwd);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.split('\n')[0]).toBe(
        'turbostream config: unknown subcommand "chek": expected `turbostream config check`',
      );
      expect(unknown.stderr).toContain('Usage: turbostream config check');
    },
  );

  it('checks the price file too, naming the file, the row and the field', () => {
    const cwd = workspace({
      'prices.yaml': 'prices:\n  - { provider: openai, model: gpt-x, inputPerMTok: cheap, outputPerMTok: 1 }\n',
    });
    const result = turbostream(['config', 'check'], cwd);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain('The configuration has 1 problem:');
    expect(result.stderr).toMatch(/prices\.yaml: prices\[0\]\.inputPerMTok: expected/);
    writeFileSync(
      join(cwd, 'prices.yaml'),
      'prices:\n  - { provider: openai, model: gpt-x, inputPerMTok: 1, outputPerMTok: 2 }\n',
    );
    expect(turbostream(['config', 'check'], cwd)).toMatchObject({ code: 0 });
  });
});
