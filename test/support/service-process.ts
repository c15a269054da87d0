import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN, cliNodeFlags } from '../../apps/cli/src/node-flags.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI; tests start it as `node <cliNodeFlags()> CLI`, with the flags the command ships with. */
export const CLI = CLI_MAIN;
export { cliNodeFlags };

/** Fails early, with the fix, when the CLI has not been built (`npm test` builds first). */
export function assertCliBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

/** A `turbostream <command>` OS process whose output is kept for diagnosis. */
export class ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  #output = '';
  readonly exited: Promise<number | null>;

  constructor(name: string, args: string[], options: { env: Record<string, string>; cwd: string }) {
    this.name = name;
    this.child = spawn(process.execPath, [...cliNodeFlags(), CLI, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-200_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no clean-up, no goodbye. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Runs `body`; when it fails, prints the tail of each process's output before rethrowing. */
export async function dumpOutputsOnFailure<T>(
  processes: readonly ServiceProcess[],
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    for (const service of processes)
      process.stderr.write(`\n----- ${service.name} -----\n${service.output.slice(-8000)}\n`);
    throw error;
  }
}
