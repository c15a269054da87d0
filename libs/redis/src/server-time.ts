import type { RedisClient } from './connection.js';

/** Returns the server's clock; routed by its key, so on a cluster it runs on the node that holds that key. */
const TIME = `return redis.call('TIME')`;

/**
 * The clock of the Redis server that holds `key`, in epoch milliseconds. On a
 * cluster, `TIME` alone would go to any node; this asks the node that stamps
 * `key`'s stream entry ids, on the connection its other commands use, so a
 * `TIME` sent before an `XRANGE` of `key` is also answered before it.
 */
export async function serverTime(redis: RedisClient, key: string): Promise<number> {
  const reply = await redis.eval(TIME, 1, key);
  if (!Array.isArray(reply)) throw new Error(`unexpected TIME reply: ${String(reply)}`);
  const [seconds, microseconds] = reply.map(Number);
  if (
    seconds === undefined ||
    microseconds === undefined ||
    !Number.isFinite(seconds) ||
    !Number.isFinite(microseconds)
  )
    throw new Error('unexpected TIME reply');
  return seconds * 1_000 + Math.floor(microseconds / 1_000);
}
