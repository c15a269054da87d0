/**
 * Commands of the compose test: run one to completion (output kept, a time
 * limit, a clear error naming the command when it fails) and a progress line
 * with the time since the test started.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (SIGKILL) after this long; the run then fails. Default 10 minutes. */
  timeoutMs?: number;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  /** Standard input: a string, or a command whose standard output is piped in. */
  input?: string | { command: string; args: string[] };
}

const KEEP = 400_000;

export class CommandFailed extends Error {
  readonly result: RunResult;
  constructor(line: string, result: RunResult, reason: string) {
    const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-25).join('\n');
    super(`\`${line}\` ${reason}${tail ? `:\n${tail}` : ''}`);
    this.result = result;
  }
}

export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", "'\\''")}'`))
    .join(' ');
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const line = commandLine(command, args);
  const timeoutMs = options.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const result: RunResult = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      result.stdout = (result.stdout + chunk.toString()).slice(-KEEP);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      result.stderr = (result.stderr + chunk.toString()).slice(-KEEP);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    if (typeof options.input === 'string') child.stdin.end(options.input);
    else if (options.input) {
      const producer = spawn(options.input.command, options.input.args, { stdio: ['ignore', 'pipe', 'inherit'] });
      producer.stdout.pipe(child.stdin);
      producer.once('error', (err) => child.stdin.destroy(err));
    } else child.stdin.end();
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`\`${line}\` could not start: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      result.code = code;
      if (timedOut) reject(new CommandFailed(line, result, `did not finish within ${Math.round(timeoutMs / 1000)} s`));
      else if (code !== 0 && !options.allowFailure) reject(new CommandFailed(line, result, `exited with code ${code}`));
      else resolve(result);
    });
  });
}

/** Whether `command args` runs and exits 0 within `timeoutMs`. */
export async function succeeds(
  command: string,
  args: readonly string[],
  options: Omit<RunOptions, 'allowFailure'> = {},
): Promise<boolean> {
  try {
    return (await run(command, args, { timeoutMs: 20_000, ...options, allowFailure: true })).code === 0;
  } catch {
    return false;
  }
}

const started = Date.now();

/** `[compose +12.3 s] message` on standard output: where a long stage stands. */
export function progress(message: string): void {
  console.log(`[compose +${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
}

/** Runs `stage` and prints how long it took. */
export async function timed<T>(name: string, stage: () => Promise<T>): Promise<T> {
  const start = Date.now();
  progress(`${name} …`);
  try {
    const value = await stage();
    progress(`${name}: done in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    return value;
  } catch (err) {
    progress(`${name}: FAILED after ${((Date.now() - start) / 1000).toFixed(1)} s`);
    throw err;
  }
}

/**
 * Polls `check` every `everyMs` until it returns a value other than undefined,
 * or fails after `timeoutMs` with `what` and, if given, `seen()`: what the
 * last poll saw.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 1_000,
  seen?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = [seen ? `last seen: ${seen()}` : '', last instanceof Error ? `last error: ${last.message}` : '']
        .filter(Boolean)
        .join('; ');
      throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s${detail ? ` (${detail})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
