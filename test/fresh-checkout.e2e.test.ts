/**
 * A new user's first minutes, with the machine's own Node first on PATH (on our
 * machines Node 20, older than the project needs): a checkout of the tracked
 * files, `npm install`, then `npx turbostream --help` before anything is built
 * and again after. npm finds the packages in its cache when it has them
 * (`--prefer-offline`); the first run on a machine downloads them.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/service-process.js';

/** PATH as the user's shell has it: without the node_modules/.bin folders npm put first for this test run. */
const userPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes(join('node_modules', '.bin')))
  .join(delimiter);

function run(command: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  // npm's own per-script variables would tell the child npm it runs inside `npm test`.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && !name.startsWith('VITEST')),
  );
  return spawnSync(command, args, { cwd, env: { ...env, PATH: userPath }, encoding: 'utf8', timeout: timeoutMs });
}

const systemNode = run('node', ['-p', 'process.version'], REPO_ROOT, 10_000).stdout.trim();

describe(`a fresh checkout with the system Node (${systemNode}) first on PATH`, () => {
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'turbostream-checkout-'));
    const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(tracked.status, tracked.stderr).toBe(0);
    for (const file of tracked.stdout.split('\0').filter(Boolean)) {
      if (!existsSync(join(REPO_ROOT, file))) continue; // deleted in the working tree, not yet committed
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      copyFileSync(join(REPO_ROOT, file), join(dir, file));
    }
  });

  // node_modules of a whole install: tens of thousands of files, slow to remove on a busy machine.
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it('npm install brings the project its own Node, runs no unapproved install script, and links `turbostream`', () => {
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir, 300_000);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/install-scripts|allowScripts/);
    const node = run(join(dir, 'node_modules', '.bin', 'node'), ['-p', 'process.versions.node'], dir, 10_000);
    expect(Number(node.stdout.split('.')[0])).toBeGreaterThanOrEqual(22);
    expect(existsSync(join(dir, 'node_modules', '.bin', 'turbostream'))).toBe(true);
  }, 320_000);

  it('`npx turbostream --help` works before any build (it builds first, saying so on stderr only), then at ' +
    'once', () => {
    expect(existsSync(join(dir, 'apps', 'cli', 'dist', 'main.js'))).toBe(false);
    const first = run('npx', ['turbostream', '--help'], dir, 180_000);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^turbostream — watch live WebSocket feeds/);
    expect(first.stderr.trim()).toBe('turbostream: first run in this checkout: building it (npm run build) …');

    const again = run('npx', ['turbostream', 'config', '--help'], dir, 30_000);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Usage: turbostream config check/);
    expect(again.stderr).toBe('');
  }, 200_000);

  it(
    `runs when started directly by the system ` +
      `Node${Number(systemNode.slice(1).split('.')[0]) < 22 ? ' (older than 22: on the project Node)' : ''}`,
    () => {
      const direct = run('node', [join(dir, 'apps', 'cli', 'bin', 'turbostream.js'), '--help'], dir, 30_000);
      expect(direct.status, direct.stderr).toBe(0);
      expect(direct.stdout).toMatch(/^turbostream — watch live WebSocket feeds/);
    },
  );

  it('`npm run build` prints nothing when the build works', () => {
    const build = run('npm', ['run', 'build', '--silent'], dir, 120_000);
    expect(build.status, build.stderr).toBe(0);
    expect(build.stdout + build.stderr).toBe('');
  }, 130_000);
});
