import { join } from 'node:path';
import { connectRedis, type RedisClient, redactRedisUrl } from '@turbostream/redis';
import {
  type LocalInstance,
  localInstancePath,
  localInstanceRunning,
  privateRedisAnswers,
  readLocalInstance,
} from './local-instance.js';
import { UsageError } from './load.js';
import { PRIVATE_REDIS_PORTS, PrivateRedis, PrivateRedisError } from './private-redis.js';
import { probeRedis } from './redis-probe.js';

/** How to get a Redis, for every message saying that none answers. */
export const HOW_TO_GET_REDIS = [
  'TurboStream needs Redis (6.2 or newer). Any of these works:',
  '  - install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS);',
  '    `turbostream up` then starts a private redis-server by itself;',
  '  - run everything in containers: `docker compose up`;',
  '  - point at a Redis you have: REDIS_URL=redis://host:6379 in env.local.',
].join('\n');

/** Exit code when `up` already runs in the directory (EX_TEMPFAIL). */
const ALREADY_RUNNING = 75;

/** The command line's say in where Redis comes from (`up` and `stack`). */
export interface PrivateRedisOptions {
  /** Use a private redis-server even when a Redis answers at the default address. */
  privateRedis?: boolean;
  /** The private redis-server's port, instead of the first free one from 6380 to 6389. */
  redisPort?: number;
}

/** The Redis that `up` or `stack` uses. */
export interface RedisHandle {
  url: string;
  /** What happened, for the start-up banner (no password). */
  description: string;
  /** Further things the user should know, for the banner. */
  notes: string[];
  /** The private redis-server, when one is used (started now, or reused). */
  privateRedis: PrivateRedis | undefined;
  /** What to keep in the directory's record (`.turbostream/up.json`). */
  record: LocalInstance['redis'];
  /** Stops a private redis-server, if one is used. Resolves true when none is left running. */
  stop(): Promise<boolean>;
}

const nothingToStop = async () => true;

/**
 * Finds Redis for `turbostream up` and `stack`: `REDIS_URL` when set (it must
 * answer); else the private redis-server an earlier `up` in `workDir` left
 * running, when it still answers; else the default address when something
 * answers there (unless `privateRedis`); else a private `redis-server` from
 * PATH on 127.0.0.1, port 6380 or the next free one up to 6389 (or
 * `redisPort`), keeping its data under `.turbostream/redis`.
 * Refuses to start when another `up` or `stack` runs in `workDir`.
 */
export async function findOrStartRedis(
  config: { url: string; explicit: boolean },
  workDir: string,
  options: PrivateRedisOptions = {},
): Promise<RedisHandle> {
  if (config.explicit && (options.privateRedis || options.redisPort !== undefined)) {
    throw new UsageError(
      `${options.privateRedis ? '--private-redis' : '--redis-port'} is for a private redis-server, but REDIS_URL ` +
        `is set (${redactRedisUrl(config.url)}): unset REDIS_URL, or leave the option out`,
    );
  }
  const previous = readLocalInstance(workDir);
  if (previous && (await localInstanceRunning(previous))) {
    throw new UsageError(
      `turbostream ${previous.command} already runs in this directory (pid ${previous.pid}, ` +
        `since ${previous.startedAt}): follow its alerts with \`turbostream alerts\`, or stop it first.\n(If no ` +
        `such process runs, remove ${localInstancePath(workDir)}.)`,
      ALREADY_RUNNING,
    );
  }
  const leftover = previous && (await privateRedisAnswers(previous)) ? previous.redis : undefined;

  if (config.explicit) {
    if (!(await probeRedis(config.url, 3_000)))
      throw new UsageError(
        `Redis does not answer at ${redactRedisUrl(config.url)} (REDIS_URL).\n\n${HOW_TO_GET_REDIS}`,
        69,
      );
    const notes = leftover
      ? [
          `a private redis-server an earlier turbostream up left running here is not used (REDIS_URL is set): ` +
            `stop it with \`redis-cli -p ${leftover.port} shutdown\` (pid ${leftover.pid})`,
        ]
      : [];
    return {
      url: config.url,
      description: `using Redis at ${redactRedisUrl(config.url)} (REDIS_URL)`,
      notes,
      privateRedis: undefined,
      record: { url: config.url, source: 'REDIS_URL' },
      stop: nothingToStop,
    };
  }

  if (leftover?.pid !== undefined && leftover.port !== undefined && leftover.dir !== undefined) {
    const reused = PrivateRedis.adopt({ port: leftover.port, pid: leftover.pid, dir: leftover.dir });
    const notes =
      options.redisPort !== undefined && options.redisPort !== reused.port
        ? [
            `--redis-port ${options.redisPort} is not used: this directory's data is in the redis-server on ` +
              `port ${reused.port}`,
          ]
        : [];
    return {
      url: reused.url,
      description:
        `reusing the private redis-server on port ${reused.port} (pid ${reused.pid}, data ` +
        `in ${reused.dir}) that an earlier turbostream up here left running (it did not stop cleanly); it stops ` +
        `when this one does`,
      notes,
      ...privateHandle(reused),
    };
  }

  if (!options.privateRedis && (await probeRedis(config.url, 1_000))) {
    return {
      url: config.url,
      description: `using Redis at ${redactRedisUrl(config.url)}`,
      notes: [],
      privateRedis: undefined,
      record: { url: config.url, source: 'default' },
      stop: nothingToStop,
    };
  }

  const why = options.privateRedis ? '--private-redis' : `no Redis at ${redactRedisUrl(config.url)}`;
  let started: PrivateRedis;
  try {
    const ports =
      options.redisPort === undefined ? PRIVATE_REDIS_PORTS : { first: options.redisPort, last: options.redisPort };
    started = await PrivateRedis.start({ dir: join(workDir, '.turbostream', 'redis'), ports });
  } catch (error) {
    if (!(error instanceof PrivateRedisError)) throw error;
    const remedy =
      options.redisPort === undefined
        ? 'name a free port with --redis-port N'
        : 'name another with --redis-port N, or leave it out';
    throw new UsageError(
      `${why}, and ${error.message}${error.reason === 'ports-in-use' ? `: ${remedy}` : ''}.\n\n${HOW_TO_GET_REDIS}`,
      69,
    );
  }
  return {
    url: started.url,
    description:
      `${why}: started a private redis-server on port ${started.port} (pid ${started.pid}, data ` +
      `in ${started.dir}); it stops when turbostream stops`,
    notes: [],
    ...privateHandle(started),
  };
}

function privateHandle(redis: PrivateRedis): Pick<RedisHandle, 'privateRedis' | 'record' | 'stop'> {
  return {
    privateRedis: redis,
    record: { url: redis.url, source: 'private', pid: redis.pid, port: redis.port, dir: redis.dir },
    stop: () => redis.stop(),
  };
}

/**
 * A connection for a command (to one server or a cluster); fails with a
 * clear message, and exit code 69, when Redis does not answer. A short command
 * gives up soon when the connection drops later; with `follow` (a command that
 * runs until stopped, like `alerts`) it reconnects for as long as it runs.
 */
export async function connectForCommand(
  redisConfig: { url: string; cluster: boolean; nodes: string[] },
  name: string,
  { follow = false }: { follow?: boolean } = {},
): Promise<RedisClient> {
  const redis = connectRedis({
    ...redisConfig,
    name,
    lazyConnect: true,
    maxRetriesPerRequest: follow ? null : 1,
    connectTimeoutMs: 3_000,
    ...(follow ? {} : { maxReconnectAttempts: 2 }),
  });
  redis.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000);
    });
    await Promise.race([
      (async () => {
        await redis.connect();
        await redis.ping();
      })(),
      timeout,
    ]);
  } catch (error) {
    redis.disconnect();
    throw new UsageError(
      `Redis does not answer ` +
        `at ${redactRedisUrl(redisConfig.nodes.join(','))}: ` +
        `${error instanceof Error ? error.message : String(error)}\n\n${HOW_TO_GET_REDIS}`,
      69,
    );
  } finally {
    clearTimeout(timer);
  }
  return redis;
}
