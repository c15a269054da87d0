import { type ConnectOptions, connectRedis, type RedisClient } from './connection.js';
import { EventPublisher } from './event-publisher.js';
import { createKeyLayout, type KeyLayout } from './keys.js';

/**
 * A service's own connection to Redis (named `turbostream:<service>`), its key layout and its event publisher, problems
 * logged with `warn`.
 */
export function connectService(
  service: string,
  config: { redis: Omit<ConnectOptions, 'name'>; namespace: string },
  warn: (fields: { err: unknown }, message: string) => void,
): { redis: RedisClient; keys: KeyLayout; events: EventPublisher } {
  const redis = connectRedis({ ...config.redis, name: `turbostream:${service}` });
  redis.on('error', (err) => warn({ err }, 'redis connection error'));
  const keys = createKeyLayout(config.namespace);
  return {
    redis,
    keys,
    events: new EventPublisher({ redis, keys, service, onError: (err) => warn({ err }, 'event not published') }),
  };
}
