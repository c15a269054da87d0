// What the benchmarks share: services as separate processes of the built CLI, and a seeded random generator.
import { spawn } from 'node:child_process';
import { seededRandom as evalRandom } from '@turbostream/eval';
import { CLI_MAIN, cliNodeFlags } from '../apps/cli/dist/node-flags.js';

/**
 * Starts `turbostream <command>` (`analyzer`, `windower`, `ingest`) with exactly `env` (plus PATH and HOME); keeps the
 * tail of its stderr for a failure report. `stop()` sends SIGTERM and waits (SIGKILL after 15 s).
 */
export function startCliProcess(command, env) {
  const child = spawn(process.execPath, [...cliNodeFlags(), CLI_MAIN, command], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors = (errors + chunk).slice(-4_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop, errors: () => errors };
}

/** Starts `turbostream analyzer`: see {@link startCliProcess}. */
export function startAnalyzerProcess(env) {
  return startCliProcess('analyzer', env);
}

/** mulberry32 (the eval corpus's and the demo feed's): the same seed gives the same numbers in [0, 1). */
export const seededRandom = (seed) => evalRandom(seed).next;
