import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { containerRuntimeAvailable, RedisContainer } from './redis-container.js';
import { waitFor } from './wait-for.js';

export interface RedisServerOptions {
  /** Keep an append-only file, so a restart keeps the data. @defaultValue false */
  appendOnly?: boolean;
  /** Extra `redis-server` arguments. */
  args?: string[];
}

/** True when `redis-server` can be run from PATH. */
export function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A real `redis-server` process on a free loopback port, with its own data
 * directory, that a test can stop, kill and restart. Where `redis-server` is
 * not installed but a Docker engine answers, it is a `redis:7.0` container
 * (testcontainers) on the same terms.
 */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #options: RedisServerOptions;
  #process: ChildProcess | undefined;
  #container: RedisContainer | undefined;
  #useContainer = false;
  #output = '';

  private constructor(port: number, dir: string, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.#options = options;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'turbostream-redis-'));
    const server = new RedisServer(await freePort(), dir, options);
    if (!redisServerOnPath()) {
      if (!(await containerRuntimeAvailable())) {
        throw new Error('the tests need Redis: install redis-server (it must be on PATH) or run a Docker engine');
      }
      server.#useContainer = true;
    }
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    if (this.#useContainer) return this.#container?.running === true;
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** Starts the process (again, after `kill` or `stop`) and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.running) return;
    if (this.#useContainer) {
      if (this.#container) await this.#container.restart();
      else this.#container = await RedisContainer.start(this.port, this.#serverArgs());
      await this.#waitForPing();
      return;
    }
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...this.#serverArgs()];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    });
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (error) =>
        reject(new Error(`cannot start redis-server (is it installed and on PATH?): ${error.message}`)),
      ),
    );
    spawnError.catch(() => {});
    this.#process = child;
    await Promise.race([spawnError, this.#waitForPing(() => `redis-server exited: ${this.#output}`)]);
  }

  /** Settings shared by the process and the container. */
  #serverArgs(): string[] {
    return [
      '--save',
      '',
      '--appendonly',
      this.#options.appendOnly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
      ...(this.#options.args ?? []),
    ];
  }

  async #waitForPing(exited: () => string = () => 'redis-server is not running'): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(exited());
        const probe = new Redis(this.port, '127.0.0.1', {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on('error', () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      { timeoutMs: 10_000, description: `redis-server on port ${this.port}` },
    );
  }

  /** SIGKILL: no shutdown, no save (a container: SHUTDOWN NOSAVE, see RedisContainer.end). */
  async kill(): Promise<void> {
    if (this.#useContainer) return this.#container?.end();
    await this.#signal('SIGKILL');
  }

  /** SIGTERM and wait for exit. */
  async stop(): Promise<void> {
    if (this.#useContainer) return this.#container?.end();
    await this.#signal('SIGTERM');
  }

  /** Stops the process (or removes the container) and removes its data directory. */
  async dispose(): Promise<void> {
    if (this.#useContainer) await this.#container?.remove();
    else await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A new client of this server; the caller closes it. */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: null });
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#process;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
