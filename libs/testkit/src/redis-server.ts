import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export interface RedisServerOptions {
  /** Keep an append-only file, so a restart keeps the data. @defaultValue false */
  appendOnly?: boolean;
  /** Extra `redis-server` arguments. */
  args?: string[];
}

/**
 * A real `redis-server` process on a free loopback port, with its own data
 * directory, that a test can stop, kill and restart.
 */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #options: RedisServerOptions;
  #process: ChildProcess | undefined;
  #output = '';

  private constructor(port: number, dir: string, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.#options = options;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'turbostream-redis-'));
    const server = new RedisServer(await freePort(), dir, options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** Starts the process (again, after `kill` or `stop`) and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.running) return;
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', this.#options.appendOnly ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--maxmemory-policy', 'noeviction',
      ...(this.#options.args ?? []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#output = '';
    child.stdout?.on('data', (chunk: Buffer) => { this.#output = (this.#output + chunk.toString()).slice(-4000); });
    child.stderr?.on('data', (chunk: Buffer) => { this.#output = (this.#output + chunk.toString()).slice(-4000); });
    const spawnError = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot start redis-server (is it installed and on PATH?): ${error.message}`))));
    spawnError.catch(() => {});
    this.#process = child;
    await Promise.race([
      spawnError,
      waitFor(
        async () => {
          if (!this.running) throw new Error(`redis-server exited: ${this.#output}`);
          const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          probe.on('error', () => {});
          try {
            await probe.connect();
            return (await probe.ping()) === 'PONG';
          } finally {
            probe.disconnect();
          }
        },
        { timeoutMs: 10_000, description: `redis-server on port ${this.port}` },
      ),
    ]);
  }

  /** SIGKILL: no shutdown, no save. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM and wait for exit. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /** Stops the process and removes its data directory. */
  async dispose(): Promise<void> {
    await this.stop();
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
