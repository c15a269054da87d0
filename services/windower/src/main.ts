import type { ServiceConfigs } from '@turbostream/config';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import { closeRedis, connectService, type RunningService } from '@turbostream/redis';
import { Windower } from './windower.js';

/** Starts the windower on its own Redis connection: it windows every configured stream as `config.instanceId`. */
export async function startWindower(
  config: ServiceConfigs['windower'],
  rootLogger: Logger,
  metrics?: TurboMetrics,
): Promise<RunningService<Windower>> {
  const logger = rootLogger.child({ service: 'windower' });
  const { redis, keys, events } = connectService('windower', config, (fields, message) => logger.warn(fields, message));
  const disconnect = () => closeRedis(redis);
  const windower = new Windower({
    redis,
    keys,
    logger,
    events,
    streams: config.streams,
    settings: config.windower,
    owner: config.instanceId,
    jobAttempts: config.jobAttempts,
    ...(metrics ? { metrics } : {}),
  });
  await windower.start().catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  return { service: windower, redis, keys, disconnect };
}
