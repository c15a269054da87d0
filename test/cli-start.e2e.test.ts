/**
 * What `turbostream --help` (and each command's --help) loads: the help texts,
 * not the commands — no provider SDK, no Redis client. A load hook
 * (module.registerHooks) reports every module file of those packages.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI, cliNodeFlags, REPO_ROOT } from './support/service-process.js';

const HEAVY = /\/node_modules\/(openai|@anthropic-ai\/sdk|@google\/genai|@mistralai\/mistralai|ioredis|bullmq)\//;
const dir = mkdtempSync(join(tmpdir(), 'turbostream-cli-start-'));
const hook = join(dir, 'report-loads.mjs');
writeFileSync(
  hook,
  `import { registerHooks } from 'node:module';
registerHooks({ load(url, context, next) { if (${HEAVY}.test(url)) ` +
    `process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); } });
`,
);

function loadedBy(args: string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', hook, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TURBOSTREAM_ENV_FILE: '/dev/null' },
    timeout: 30_000,
  });
  return [
    ...new Set(
      result.stderr
        .split('\n')
        .filter((line) => line.startsWith('LOADED '))
        .map((line) => HEAVY.exec(line)?.[1] ?? line),
    ),
  ].sort();
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('turbostream --help', () => {
  it('sees the SDKs and clients when they load (the hook works)', () => {
    const script =
      "await import('@turbostream/providers'); await import('@turbostream/queue'); await import('@turbostream/redis');";
    expect(loadedBy(['--input-type=module', '-e', script])).toEqual([
      '@anthropic-ai/sdk',
      '@google/genai',
      '@mistralai/mistralai',
      'bullmq',
      'ioredis',
      'openai',
    ]);
  });

  it(
    'loads no provider SDK, no Redis client and no queue for the help of the command or of any of its ' + 'commands',
    () => {
      assertCliBuilt();
      for (const args of [
        ['--help'],
        ...[
          'up',
          'ingest',
          'windower',
          'analyzer',
          'stack',
          'alerts',
          'streams',
          'providers',
          'demo-feed',
          'config',
        ].map((command) => [command, '--help']),
      ]) {
        expect(loadedBy([...cliNodeFlags(), CLI, ...args]), args.join(' ')).toEqual([]);
      }
    },
  );
});
