import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { portFree } from './ports.js';
import { probeRedis, processAlive } from './redis-probe.js';

/** The ports a private redis-server takes by default: the first free one of these. */
export const PRIVATE_REDIS_PORTS = { first: 6380, last: 6389 } as const;

/** How long a private redis-server may take to answer after it was started, or to exit after SIGTERM. */
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

/** Why no private redis-server could be started, for the user. */
export class PrivateRedisError extends Error {
  override readonly name = 'PrivateRedisError';
  /**
   * `not-on-path`: no redis-server to run; `ports-in-use`: every port asked for is taken; `failed`: it did not start.
   */
  readonly reason: 'not-on-path' | 'ports-in-use' | 'failed';

  constructor(message: string, reason: PrivateRedisError['reason']) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A `redis-server` from PATH that `turbostream up` (or `stack`) runs for
 * itself on 127.0.0.1, keeping its data (append-only file) in `dir`. It runs
 * in a session of its own (`detached`), so a Ctrl-C at the terminal or the
 * terminal closing reaches only `up`, which stops it last, after its services
 * have closed; and should `up` be killed, it keeps running for the next `up`
 * in the same directory to reuse.
 */
export class PrivateRedis {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** Started by an earlier process, which did not stop it. */
  readonly reused: boolean;
  readonly #child: ChildProcess | undefined;

  private constructor(options: { port: number; pid: number; dir: string; child?: ChildProcess }) {
    this.port = options.port;
    this.pid = options.pid;
    this.dir = options.dir;
    this.reused = options.child === undefined;
    this.#child = options.child;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's log file (in `dir`). */
  static logFile(dir: string): string {
    return join(dir, 'redis-server.log');
  }

  /**
   * Starts one on the first free port of `ports` (trying the next should one
   * be taken meanwhile); resolves once it answers PING as this very process.
   * @throws PrivateRedisError naming what went wrong (not on PATH, no free port, failed to start).
   */
  static async start({
    dir,
    ports = PRIVATE_REDIS_PORTS,
  }: {
    dir: string;
    ports?: { first: number; last: number };
  }): Promise<PrivateRedis> {
    mkdirSync(dir, { recursive: true });
    let failure: string | undefined;
    for (let port = ports.first; port <= ports.last; port += 1) {
      if (!(await portFree(port))) continue;
      const started = await PrivateRedis.#startOn(port, dir);
      if (started instanceof PrivateRedis) return started;
      if (started === 'not-on-path') throw new PrivateRedisError('there is no redis-server on PATH', 'not-on-path');
      // It may have lost the port to another process in the meantime: try the next one.
      failure = started;
    }
    const tried = ports.first === ports.last ? `port ${ports.first}` : `ports ${ports.first} to ${ports.last}`;
    if (failure) throw new PrivateRedisError(`a private redis-server did not start on ${tried}: ${failure}`, 'failed');
    throw new PrivateRedisError(
      `${tried} ${ports.first === ports.last ? 'is' : 'are all'} in use, so no private redis-server can start there`,
      'ports-in-use',
    );
  }

  /** One that an earlier process left running (the caller has checked that it answers as `pid`). */
  static adopt(options: { port: number; pid: number; dir: string }): PrivateRedis {
    return new PrivateRedis(options);
  }

  static async #startOn(port: number, dir: string): Promise<PrivateRedis | 'not-on-path' | string> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--logfile',
      PrivateRedis.logFile(dir),
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ];
    // detached: a session of its own, so that neither a Ctrl-C at the terminal nor the terminal closing reaches it.
    const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
    const ended = new Promise<'not-on-path' | string>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        resolve(error.code === 'ENOENT' ? 'not-on-path' : error.message),
      );
      child.once('exit', (code, signal) =>
        resolve(`redis-server exited (${signal ?? `code ${code}`}): ${lastLines(PrivateRedis.logFile(dir))}`),
      );
    });
    const pid = child.pid;
    const answering = (async () => {
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        // Answering as this very process: not another server that got the port first.
        if (pid !== undefined && (await probeRedis(`redis://127.0.0.1:${port}`, 500))?.pid === pid) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    })();
    const outcome = await Promise.race([ended, answering]);
    if (outcome === true && pid !== undefined) return new PrivateRedis({ port, pid, dir, child });
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (outcome === false || outcome === true)
      return (
        `redis-server did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} ` +
        `s: ${lastLines(PrivateRedis.logFile(dir))}`
      );
    return outcome;
  }

  /**
   * Stops it with SIGTERM: Redis writes its append-only file and exits (no
   * `SHUTDOWN NOSAVE`: the data is kept for the next start). Resolves true once
   * it has exited, false if it still runs after a while.
   */
  async stop(): Promise<boolean> {
    const child = this.#child;
    if (child) {
      if (child.exitCode !== null || child.signalCode !== null) return true;
      const exited = new Promise<true>((resolve) => child.once('exit', () => resolve(true)));
      child.kill('SIGTERM');
      return Promise.race([
        exited,
        new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_TIMEOUT_MS).unref()),
      ]);
    }
    if (!processAlive(this.pid)) return true;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      return !processAlive(this.pid);
    }
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (processAlive(this.pid)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' / ') || '(its log is empty)';
  } catch {
    return `(no log at ${file})`;
  }
}
