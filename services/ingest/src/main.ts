import type { ServiceConfigs, StreamConfig } from '@turbostream/config';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import { closeRedis, connectService, type RunningService } from '@turbostream/redis';
import { Ingest, type IngestSource } from './ingest.js';

/** The sources of configured streams, as {@link Ingest} and its `update()` take them. */
export function ingestSources(streams: readonly StreamConfig[]): IngestSource[] {
  return streams.map((stream) => ({ streamId: stream.id, ...stream.source }));
}

/** Starts ingest on its own Redis connection: one source per configured stream, counting into `metrics`. */
export async function startIngest(
  config: ServiceConfigs['ingest'],
  rootLogger: Logger,
  metrics?: TurboMetrics,
): Promise<RunningService<Ingest>> {
  const logger = rootLogger.child({ service: 'ingest' });
  const { redis, keys, events } = connectService('ingest', config, (fields, message) => logger.warn(fields, message));
  const disconnect = () => closeRedis(redis);
  const ingest = new Ingest({
    redis,
    keys,
    logger,
    events,
    sources: ingestSources(config.streams),
    settings: config.ingest,
    ...(metrics ? { metrics } : {}),
  });
  await ingest.start().catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  return { service: ingest, redis, keys, disconnect };
}
