// What the benchmarks share: an analyzer as a separate process of the built CLI, and a seeded random generator.
import { spawn } from 'node:child_process';
import { seededRandom as evalRandom } from '@turbostream/eval';
import { CLI_MAIN, cliNodeFlags } from '../apps/cli/dist/node-flags.js';

/**
 * Starts `turbostream analyzer` with exactly `env` (plus PATH and HOME); keeps the tail of its stderr for a failure
 * report. `stop()` sends SIGTERM and waits (SIGKILL after 15 s).
 */
export function startAnalyzerProcess(env) {
  const child = spawn(process.execPath, [...cliNodeFlags(), CLI_MAIN, 'analyzer'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors = (errors + chunk).slice(-4_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop, errors: () => errors };
}

/** mulberry32 (the eval corpus's and the demo feed's): the same seed gives the same numbers in [0, 1). */
export const seededRandom = (seed) => evalRandom(seed).next;
