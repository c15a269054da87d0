import type { TurboConfig } from '@turbostream/config';
import type { Logger } from '@turbostream/logging';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { Windower } from './windower.js';

export interface WindowerDependencies {
  /** Opened with `maxRetriesPerRequest: null`; the caller closes it after `windower.close()`. */
  redis: RedisClient;
  logger: Logger;
  events?: EventPublisher;
  keys: KeyLayout;
}

/** Composition root: windows every configured stream as `config.instanceId`. */
export async function runWindower(config: TurboConfig, deps: WindowerDependencies): Promise<Windower> {
  if (config.streams.length === 0) {
    const file = config.streamsFile ?? 'streams.yaml (not found; set TURBOSTREAM_STREAMS_FILE)';
    throw new Error(`windower: no streams are configured in ${file}; add at least one under "streams:"`);
  }
  const windower = new Windower({
    redis: deps.redis,
    keys: deps.keys,
    logger: deps.logger.child({ service: 'windower' }),
    events: deps.events,
    streams: config.streams,
    settings: config.windower,
    owner: config.instanceId,
    jobAttempts: config.analyzer.attempts,
  });
  await windower.start();
  return windower;
}
