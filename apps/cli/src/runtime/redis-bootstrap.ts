import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectRedis, type RedisClient, redactRedisUrl } from '@turbostream/redis';
import { Redis } from 'ioredis';
import { UsageError } from './load.js';
import { freePort } from './ports.js';

const HOW_TO_GET_REDIS = [
  'TurboStream needs Redis (6.2 or newer). Any of these works:',
  '  - install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS);',
  '    `turbostream up` then starts a private redis-server by itself;',
  '  - run everything in containers: `docker compose up`;',
  '  - point at a Redis you have: REDIS_URL=redis://host:6379 in env.local.',
].join('\n');

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export interface RedisHandle {
  url: string;
  /** What happened, for the start-up banner. */
  description: string;
  /** Stops a private redis-server, if one was started. */
  stop(): Promise<void>;
}

/**
 * Finds Redis for `turbostream up`: `REDIS_URL` when set (it must answer);
 * else the default address when something answers there; else a private
 * `redis-server` from PATH, keeping its data under `.turbostream/`.
 */
export async function findOrStartRedis(config: { url: string; explicit: boolean }, workDir: string): Promise<RedisHandle> {
  const noop = async () => {};
  if (config.explicit) {
    if (await answers(config.url, 3_000)) return { url: config.url, description: `using Redis at ${redactRedisUrl(config.url)} (REDIS_URL)`, stop: noop };
    throw new UsageError(`Redis does not answer at ${redactRedisUrl(config.url)} (REDIS_URL).\n\n${HOW_TO_GET_REDIS}`, 69);
  }
  if (await answers(config.url, 1_000)) return { url: config.url, description: `using Redis at ${redactRedisUrl(config.url)}`, stop: noop };

  const dir = join(workDir, '.turbostream', 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
  });
  const url = `redis://127.0.0.1:${port}`;
  const started = await Promise.race([
    failed,
    (async () => {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        if (await answers(url, 500)) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    })(),
  ]);
  if (!started) {
    child.kill('SIGKILL');
    throw new UsageError(`No Redis answers at ${redactRedisUrl(config.url)}, and no redis-server could be started from PATH.\n\n${HOW_TO_GET_REDIS}`, 69);
  }
  return {
    url,
    description: `no Redis at ${redactRedisUrl(config.url)}: started a private redis-server on port ${port} (data in ${dir})`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    },
  };
}

/** A connection for a short command (to one server or a cluster); fails with a clear message when Redis does not answer. */
export async function connectForCommand(redisConfig: { url: string; cluster: boolean; nodes: string[] }, name: string): Promise<RedisClient> {
  const redis = connectRedis({ ...redisConfig, name, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeoutMs: 3_000, maxReconnectAttempts: 2 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new UsageError(`Redis does not answer at ${redactRedisUrl(redisConfig.nodes.join(','))}: ${error instanceof Error ? error.message : String(error)}\n\n${HOW_TO_GET_REDIS}`, 69);
  }
  return redis;
}
