import { type ChildProcess, spawn } from 'node:child_process';
import { LinePrefixer } from './line-prefixer.js';

/** One process of the stack: what to run and under which name. */
export interface ChildSpec {
  /** Shown in front of its output and in reports, e.g. `analyzer-2`. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface SupervisedChildOptions {
  spec: ChildSpec;
  cwd: string;
  /** Written before each line of the child's output, e.g. `[analyzer-2] `. */
  prefix: string;
  /** Where the child's stdout lines go. */
  stdout: (text: string) => void;
  /** Where the child's stderr lines go. */
  stderr: (text: string) => void;
  /** The supervisor's own messages (start, unexpected exit, restart). */
  report: (message: string) => void;
  /**
   * Delay before the n-th restart in a row (n from 1).
   * @defaultValue 500 ms doubling up to 10 s
   */
  restartDelayMs?: (restarts: number) => number;
  /**
   * A run at least this long counts as healthy: the next restart waits the first delay again.
   * @defaultValue 30_000
   */
  stableAfterMs?: number;
}

/** How a stopped child ended. */
export type StopOutcome = 'not-running' | 'exited' | 'killed';

export function defaultRestartDelayMs(restarts: number): number {
  return Math.min(500 * 2 ** Math.max(0, restarts - 1), 10_000);
}

/**
 * A child process that is restarted, after a backoff, whenever it exits
 * without being asked to, until {@link SupervisedChild.stop}. Its own process
 * group (`detached`), so a Ctrl-C at the terminal reaches only the supervisor,
 * which then stops every child exactly once.
 */
export class SupervisedChild {
  readonly name: string;
  readonly #options: SupervisedChildOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #failuresInRow = 0;
  #starts = 0;

  constructor(options: SupervisedChildOptions) {
    this.#options = options;
    this.name = options.spec.name;
  }

  /** The pid of the running process, if one runs. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** How many times the process was started (1 + restarts). */
  get starts(): number {
    return this.#starts;
  }

  /** Starts the process; later exits that nobody asked for restart it. */
  start(): void {
    if (this.#stopping || this.#child) return;
    const { spec, cwd, prefix, report } = this.#options;
    const child = spawn(spec.command, spec.args, {
      cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#child = child;
    this.#starts += 1;
    const startedAt = Date.now();
    const out = new LinePrefixer(prefix, this.#options.stdout);
    const err = new LinePrefixer(prefix, this.#options.stderr);
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    this.#exited = new Promise((resolve) => {
      let ended = false;
      const onEnd = (how: string) => {
        if (ended) return;
        ended = true;
        out.flush();
        err.flush();
        this.#child = undefined;
        resolve();
        if (!this.#stopping) this.#scheduleRestart(how, Date.now() - startedAt);
      };
      child.once('exit', (code, signal) => onEnd(signal ? `signal ${signal}` : `code ${code}`));
      child.once('error', (error) => onEnd(`error: ${error.message}`));
    });
    if (child.pid !== undefined) report(`${this.name} started (pid ${child.pid})`);
  }

  #scheduleRestart(how: string, ranMs: number): void {
    this.#failuresInRow = ranMs >= (this.#options.stableAfterMs ?? 30_000) ? 1 : this.#failuresInRow + 1;
    const delayMs = (this.#options.restartDelayMs ?? defaultRestartDelayMs)(this.#failuresInRow);
    this.#options.report(`${this.name} exited unexpectedly (${how}); restarting in ${(delayMs / 1000).toFixed(1)} s`);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.start();
    }, delayMs);
  }

  /** SIGTERM, then SIGKILL when it has not exited within `timeoutMs`; no restart after this. */
  async stop(timeoutMs: number): Promise<StopOutcome> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || this.pid === undefined) return 'not-running';
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const late = await Promise.race([this.#exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (!late) return 'exited';
    child.kill('SIGKILL');
    await this.#exited;
    return 'killed';
  }

  /** SIGKILL at once, no restart: for a forced stop or when the supervisor itself exits. Synchronous. */
  kill(): void {
    this.#stopping = true;
    clearTimeout(this.#timer);
    if (this.pid !== undefined) this.#child?.kill('SIGKILL');
  }
}
