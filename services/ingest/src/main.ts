import type { StreamConfig, TurboConfig } from '@turbostream/config';
import type { Logger } from '@turbostream/logging';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { Ingest, type IngestSource } from './ingest.js';

export interface IngestDeps {
  redis: RedisClient;
  logger: Logger;
  events?: EventPublisher;
  keys: KeyLayout;
}

/** The sources of configured streams, as {@link Ingest} and its `update()` take them. */
export function ingestSources(streams: readonly StreamConfig[]): IngestSource[] {
  return streams.map((stream) => ({ streamId: stream.id, ...stream.source }));
}

/** The composition root: one ingest source per configured stream, started. The caller closes it. */
export async function runIngest(config: TurboConfig, deps: IngestDeps): Promise<Ingest> {
  if (config.streams.length === 0) {
    throw new Error(`ingest needs at least one stream: none is configured${config.streamsFile ? ` in ${config.streamsFile}` : ' (no streams file was found)'}`);
  }
  const ingest = new Ingest({
    redis: deps.redis,
    keys: deps.keys,
    logger: deps.logger.child({ service: 'ingest' }),
    ...(deps.events ? { events: deps.events } : {}),
    sources: ingestSources(config.streams),
    settings: config.ingest,
  });
  await ingest.start();
  return ingest;
}
