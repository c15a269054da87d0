import { tmpdir } from 'node:os';
import { waitFor } from '@turbostream/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SupervisedChild, type SupervisedChildOptions } from './supervised-child.js';

const children: SupervisedChild[] = [];

function supervise(script: string, overrides: Partial<SupervisedChildOptions> = {}) {
  const out: string[] = [];
  const reports: string[] = [];
  const child = new SupervisedChild({
    spec: { name: 'worker-1', command: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH ?? '' } },
    cwd: tmpdir(),
    prefix: '[worker-1] ',
    stdout: (text) => out.push(text),
    stderr: (text) => out.push(text),
    report: (message) => reports.push(message),
    restartDelayMs: () => 50,
    ...overrides,
  });
  children.push(child);
  child.start();
  return { child, out, reports };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Prints its pid, then waits; on SIGTERM says goodbye and exits 0.
const POLITE =
  `console.log('pid', process.pid); process.on('SIGTERM', () => { console.log('bye'); ` +
  `process.exit(0); }); setInterval(() => {}, 1000);`;

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe('SupervisedChild', () => {
  it('prefixes the output and restarts a process that was killed, with a new pid', async () => {
    const { child, out, reports } = supervise(POLITE);
    const first = await waitFor(() => child.pid, { timeoutMs: 5_000, description: 'first start' });
    await waitFor(() => out.some((line) => line === `[worker-1] pid ${first}\n`), {
      timeoutMs: 5_000,
      description: 'prefixed output',
    });
    process.kill(first, 'SIGKILL');
    const second = await waitFor(() => (child.pid !== undefined && child.pid !== first ? child.pid : undefined), {
      timeoutMs: 5_000,
      description: 'restart',
    });
    expect(second).not.toBe(first);
    expect(child.starts).toBe(2);
    expect(
      reports.some((report) => report.startsWith('worker-1 exited unexpectedly (signal SIGKILL); restarting in')),
    ).toBe(true);
    expect(reports.filter((report) => report.startsWith('worker-1 started (pid '))).toHaveLength(2);
  });

  it('stops with SIGTERM, lets the process say goodbye, and does not restart it', async () => {
    const { child, out } = supervise(POLITE);
    const pid = await waitFor(() => child.pid, { timeoutMs: 5_000, description: 'start' });
    await waitFor(() => out.length > 0, { timeoutMs: 5_000, description: 'ready' });
    expect(await child.stop(5_000)).toBe('exited');
    expect(out).toContain('[worker-1] bye\n');
    expect(alive(pid)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.pid).toBeUndefined();
    expect(child.starts).toBe(1);
  });

  it('kills a process that ignores SIGTERM once the deadline passes', async () => {
    const { child, out } = supervise(
      `process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);`,
    );
    const pid = await waitFor(() => child.pid, { timeoutMs: 5_000, description: 'start' });
    await waitFor(() => out.length > 0, { timeoutMs: 5_000, description: 'ready' });
    expect(await child.stop(300)).toBe('killed');
    expect(alive(pid)).toBe(false);
  });

  it('waits longer between restarts of a process that keeps failing', async () => {
    const delays: number[] = [];
    const { child } = supervise('process.exit(3)', {
      restartDelayMs: (restarts) => {
        delays.push(restarts);
        return 20;
      },
    });
    await waitFor(() => child.starts >= 4, { timeoutMs: 5_000, description: 'several restarts' });
    child.kill();
    expect(delays.slice(0, 3)).toEqual([1, 2, 3]);
  });
});
