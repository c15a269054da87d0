import type { ReadinessCheck } from '@turbostream/health';

/** What the check needs of a connection; a single node (`Redis`) and a `Cluster` both have it. */
export interface PingableRedis {
  readonly status: string;
  ping(): Promise<string>;
}

/**
 * Passes when the connection is up and answers PING. A connection that is
 * not `ready` fails at once instead of queueing a PING behind the reconnect.
 */
export function redisReadiness(redis: PingableRedis): ReadinessCheck {
  return async () => {
    if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
    const reply = await redis.ping();
    if (reply !== 'PONG') throw new Error(`redis answered ${JSON.stringify(reply)} to PING`);
  };
}
