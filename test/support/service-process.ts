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

/** Quotes a word for `sh -c`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A `turbostream <command>` run whose standard output and error are kept apart, as they arrive: output a pipe, or
 * (`tty`) a pseudo-terminal given by `script` (util-linux), which standard error then shares.
 */
export class CliRun {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout = '';
  stderr = '';

  constructor(args: string[], { cwd, env, tty = false }: { cwd: string; env: Record<string, string>; tty?: boolean }) {
    const argv = [process.execPath, ...cliNodeFlags(), CLI, ...args];
    const [command = '', ...rest] = tty ? ['script', '-qfec', argv.map(shellQuote).join(' '), '/dev/null'] : argv;
    this.child = spawn(command, rest, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TURBOSTREAM_ENV_FILE: '/dev/null', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Runs to the end; the exit code with both outputs. */
  async done(): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const code = await this.exited;
    return { code, stdout: this.stdout, stderr: this.stderr };
  }

  /** SIGTERM (`script` passes it on to the command), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
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
