import { Redis, type RedisOptions } from 'ioredis';

export interface ConnectOptions {
  /** A `redis://` or `rediss://` URL. */
  url: string;
  /** A name shown by `CLIENT LIST`, e.g. `turbostream:ingest`. */
  name?: string;
  /**
   * `null` retries commands forever across reconnects (what BullMQ workers
   * require); a number fails a command after that many reconnect attempts.
   * @defaultValue null
   */
  maxRetriesPerRequest?: number | null;
  /** Further ioredis options. */
  options?: RedisOptions;
}

/** Opens an ioredis connection that reconnects with capped backoff. */
export function connectRedis({ url, name, maxRetriesPerRequest = null, options }: ConnectOptions): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000),
    ...options,
  });
}

/** Hides the password of a Redis URL, for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Closes a connection, falling back to disconnect when QUIT cannot complete. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  } catch {
    // the connection is already gone
  }
  redis.disconnect();
}
