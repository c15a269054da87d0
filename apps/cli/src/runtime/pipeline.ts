import { runAnalyzer } from '@turbostream/analyzer';
import type { TurboConfig } from '@turbostream/config';
import { runIngest } from '@turbostream/ingest';
import type { Logger } from '@turbostream/logging';
import { closeRedis, connectRedis, createKeyLayout, EventPublisher, type KeyLayout } from '@turbostream/redis';
import { runWindower } from '@turbostream/windower';
import type { Redis } from 'ioredis';

export type ServiceName = 'ingest' | 'windower' | 'analyzer';
export const SERVICE_NAMES: readonly ServiceName[] = ['ingest', 'windower', 'analyzer'];

interface Closable {
  close(): Promise<void>;
}

/** Running services and the connections they share; `close()` stops them in data-path order. */
export interface Pipeline {
  keys: KeyLayout;
  redis: Redis;
  close(): Promise<void>;
}

/**
 * Starts the named services in this process on one configuration. Intake
 * stops first on close (ingest), then the windower, then the analyzers drain.
 */
export async function startPipeline(config: TurboConfig, services: readonly ServiceName[], logger: Logger): Promise<Pipeline> {
  const keys = createKeyLayout(config.namespace);
  const redis = connectRedis({ url: config.redis.url, name: `turbostream:${services.join('+')}` });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const connections: Redis[] = [redis];
  const started: Array<[ServiceName, Closable]> = [];
  const closeAll = async () => {
    for (const [name, service] of started.toReversed()) {
      try {
        await service.close();
      } catch (err) {
        logger.error({ err, service: name }, 'service did not close cleanly');
      }
    }
    await Promise.all(connections.map((connection) => closeRedis(connection)));
  };
  try {
    for (const name of SERVICE_NAMES.filter((candidate) => services.includes(candidate)).toReversed()) {
      const own = logger.child({ service: name });
      const events = new EventPublisher({ redis, keys, service: name, onError: (err) => own.warn({ err }, 'event not published') });
      if (name === 'ingest') started.push([name, await runIngest(config, { redis, logger, events, keys })]);
      if (name === 'windower') started.push([name, await runWindower(config, { redis, logger, events, keys })]);
      if (name === 'analyzer') {
        const connection = connectRedis({ url: config.redis.url, name: 'turbostream:analyzer:bullmq' });
        connection.on('error', (err) => own.warn({ err }, 'redis connection error'));
        connections.push(connection);
        started.push([name, await runAnalyzer(config, { redis, connection, logger, events, keys })]);
      }
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return { keys, redis, close: () => (closing ??= closeAll()) };
}
