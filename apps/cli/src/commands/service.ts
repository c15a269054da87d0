import { redactRedisUrl } from '@turbostream/redis';
import { loadConfigOrExit, rootLogger } from '../runtime/load.js';
import { ProcessLifecycle } from '../runtime/lifecycle.js';
import { type ServiceName, startPipeline } from '../runtime/pipeline.js';
import { followStreamsFile } from '../runtime/streams-reload.js';

/**
 * Runs one service as its own process, with its health endpoints when
 * HEALTH_PORT is set, until SIGINT/SIGTERM: then readiness fails, work in
 * flight gets SHUTDOWN_TIMEOUT_MS, and what is left is handed back.
 */
export async function runService(name: ServiceName): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  // The one check for streams: `up` runs its demo without them, and the analyzer serves providers, not streams.
  if (name !== 'analyzer' && config.streams.length === 0) {
    throw new Error(
      `${name} needs streams: create streams.yaml (see streams.example.yaml) or set TURBOSTREAM_STREAMS_FILE`,
    );
  }
  const lifecycle = new ProcessLifecycle({ config, logger: logger.child({ service: name }) });
  await lifecycle.start();
  const pipeline = await startPipeline(config, [name], logger, lifecycle.metrics).catch(async (error: unknown) => {
    await lifecycle.stop(async () => {});
    throw error;
  });
  lifecycle.started(pipeline.redis);
  logger.info({ redis: redactRedisUrl(config.redis.url), namespace: config.namespace }, `${name} started`);
  // The analyzer serves providers, not streams: nothing in the streams file is its to follow.
  const follow =
    name === 'analyzer' || !config.streamsFile
      ? undefined
      : followStreamsFile({
          config,
          path: config.streamsFile,
          ingest: pipeline.ingest,
          windower: pipeline.windower,
          redis: pipeline.redis,
          keys: pipeline.keys,
          logger: logger.child({ service: name }),
          service: name,
        });
  const signal = await lifecycle.stopRequested();
  logger.info({ signal, deadlineMs: config.shutdownTimeoutMs }, `${name} stopping`);
  await lifecycle.stop(async () => {
    await follow?.close();
    await pipeline.close();
  });
  logger.info(`${name} stopped`);
  logger.flush?.();
}
