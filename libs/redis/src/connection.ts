import { carriesCredentials, redactUrl, scrubError } from '@turbostream/contracts';
import { Cluster, type ClusterOptions, type Command, Redis, type RedisOptions } from 'ioredis';
import { clusterSeed } from './cluster-nodes.js';

/**
 * A connection to Redis: one server (`Redis`) or a Redis Cluster (`Cluster`).
 * Both speak the same commands; on a cluster, the keys of one script, one
 * `MULTI` or one pipeline must share a slot (the key layout's hash tags see to it).
 */
export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /** A `redis://` or `rediss://` URL (with a cluster: the first seed node). */
  url: string;
  /**
   * Connect to a Redis Cluster seeded by `nodes`.
   * @defaultValue false, or true when `nodes` lists more than one URL
   */
  cluster?: boolean;
  /**
   * A cluster's seed nodes, as `redis://` or `rediss://` URLs. The first URL
   * with a user or password gives every node's credentials; `rediss://` makes
   * every node TLS.
   * @defaultValue `[url]`
   */
  nodes?: readonly string[];
  /** A name shown by `CLIENT LIST`, e.g. `turbostream:ingest`. */
  name?: string;
  /**
   * `null` retries commands forever across reconnects (what BullMQ workers
   * require); a number fails a command after that many reconnect attempts.
   * @defaultValue null
   */
  maxRetriesPerRequest?: number | null;
  /**
   * Give up after this many failed reconnection attempts in a row (short
   * commands that should fail fast); otherwise reconnect forever with capped backoff.
   * @defaultValue unlimited
   */
  maxReconnectAttempts?: number;
  /** Connect on `connect()` or the first command rather than at once. @defaultValue false */
  lazyConnect?: boolean;
  /** @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Further ioredis options: of the server, or of every cluster node. */
  options?: RedisOptions;
  /** Further ioredis Cluster options (only with `cluster`). */
  clusterOptions?: ClusterOptions;
}

/** Capped exponential backoff between reconnection attempts, or `null` to stop. */
function reconnectDelay(maxAttempts: number | undefined): (attempt: number) => number | null {
  return (attempt) =>
    maxAttempts !== undefined && attempt > maxAttempts ? null : Math.min(100 * 2 ** Math.min(attempt, 6), 5_000);
}

/** Makes `command` scrub the error it fails with (the password of a refused `AUTH`) before anything else sees it. */
function scrubFailure(command: Command): void {
  const reject = command.reject;
  command.reject = (error: Error) => reject(scrubError(error));
}

/**
 * Keeps the credentials a server connection sends out of its errors. ioredis
 * attaches a failed command's arguments to its error (`command.args`), and
 * rejects every queued command and emits `error` with that same error: for a
 * refused `AUTH`, the password, in every log line and report that shows the
 * error. Each command that carries credentials scrubs its error first, in
 * place; duplicates (BullMQ's blocking connections) are guarded the same way.
 */
function guardCredentials(redis: Redis): Redis {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    if (carriesCredentials(command.name)) scrubFailure(command);
    return send(command, stream);
  };
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (override) => guardCredentials(duplicate(override));
  return redis;
}

/** {@link guardCredentials} for every node connection of a cluster, as it is made, and for its duplicates. */
function guardClusterCredentials(cluster: Cluster): Cluster {
  cluster.on('+node', (node: Redis) => guardCredentials(node));
  const duplicate = cluster.duplicate.bind(cluster);
  cluster.duplicate = (startupNodes, options) => guardClusterCredentials(duplicate(startupNodes, options));
  return cluster;
}

/**
 * Opens an ioredis connection that reconnects with capped backoff: a `Cluster`
 * when `cluster` is set or several nodes are given, else a `Redis`. No error
 * it reports carries the password: see {@link guardCredentials}.
 */
export function connectRedis(options: ConnectOptions): RedisClient {
  const {
    url,
    nodes = [url],
    name,
    maxRetriesPerRequest = null,
    maxReconnectAttempts,
    lazyConnect = false,
    connectTimeoutMs,
  } = options;
  const retry = reconnectDelay(maxReconnectAttempts);
  if (!(options.cluster ?? nodes.length > 1)) {
    const redis = new Redis(url, {
      connectionName: name,
      maxRetriesPerRequest,
      enableReadyCheck: true,
      lazyConnect,
      retryStrategy: retry,
      ...(connectTimeoutMs === undefined ? {} : { connectTimeout: connectTimeoutMs }),
      ...options.options,
    });
    return guardCredentials(redis);
  }
  const seed = clusterSeed(nodes.length > 0 ? nodes : [url]);
  const { port, host, path, sentinels, retryStrategy, enableOfflineQueue, readOnly, ...nodeOptions } =
    options.options ?? {};
  const cluster = new Cluster(seed.nodes, {
    enableReadyCheck: true,
    lazyConnect,
    clusterRetryStrategy: retry,
    // With TLS, keep host names as given so that certificates are checked against them (managed clusters).
    ...(seed.tls
      ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) }
      : {}),
    ...options.clusterOptions,
    redisOptions: {
      connectionName: name,
      maxRetriesPerRequest,
      enableReadyCheck: true,
      ...(seed.username === undefined ? {} : { username: seed.username }),
      ...(seed.password === undefined ? {} : { password: seed.password }),
      ...(seed.tls ? { tls: {} } : {}),
      ...(connectTimeoutMs === undefined ? {} : { connectTimeout: connectTimeoutMs }),
      ...nodeOptions,
      ...options.clusterOptions?.redisOptions,
    },
  });
  return guardClusterCredentials(cluster);
}

/** Hides the password of a Redis URL (or of each of a comma-separated list), for logs and messages. */
export function redactRedisUrl(url: string): string {
  return url
    .split(',')
    .map((part) => redactUrl(part.trim()))
    .join(',');
}

/** Closes a connection, falling back to disconnect when QUIT cannot complete. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  } catch {
    // the connection is already gone
  }
  redis.disconnect();
}
