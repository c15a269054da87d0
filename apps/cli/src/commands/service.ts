import { redactRedisUrl } from '@turbostream/redis';
import { loadConfigOrExit, rootLogger } from '../runtime/load.js';
import { ProcessLifecycle } from '../runtime/lifecycle.js';
import { type ServiceName, startPipeline } from '../runtime/pipeline.js';
import { followStreamsFile } from '../runtime/streams-reload.js';

const LIFECYCLE_HELP = `HEALTH_PORT (and HEALTH_HOST) serve GET /healthz and /readyz. On SIGTERM or Ctrl-C
it stops taking work (readiness turns 503), finishes work in flight within
SHUTDOWN_TIMEOUT_MS and exits 0; a second signal stops at once.`;

export const SERVICE_HELP: Record<ServiceName, string> = {
  ingest: `turbostream ingest — hold one WebSocket per configured source and append every message to its Redis stream

Usage: turbostream ingest

Reads env.local and the streams file (TURBOSTREAM_STREAMS_FILE, default streams.yaml).
Follows the streams file while running: streams added, removed or with a new
source are opened, closed or reconnected; an invalid edit is refused, logged.
Bad frames (binary, invalid UTF-8, oversized, not JSON) go to the dead-letter stream.

${LIFECYCLE_HELP}`,
  windower: `turbostream windower — cut each Redis stream into windows and enqueue one analysis job per target

Usage: turbostream windower

Run several for failover: each stream has one owner at a time (a lease).
Follows the streams file while running: streams added or removed start or stop
being windowed; new window limits, targets or instructions apply from the next
window on; an invalid edit is refused, logged.

${LIFECYCLE_HELP}`,
  analyzer: `turbostream analyzer — analyse windows with the provider and model each job names, and publish alerts

Usage: turbostream analyzer

Serves every provider configured in env.local (heuristic always). Scale by running more.
ANALYZER_CONCURRENCY sets the jobs in flight per process. Jobs still running at
the shutdown deadline are handed back to the queue for another analyzer.

${LIFECYCLE_HELP}`,
};

/**
 * Runs one service as its own process, with its health endpoints when
 * HEALTH_PORT is set, until SIGINT/SIGTERM: then readiness fails, work in
 * flight gets SHUTDOWN_TIMEOUT_MS, and what is left is handed back.
 */
export async function runService(name: ServiceName): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  if (name !== 'analyzer' && config.streams.length === 0) {
    throw new Error(`${name} needs streams: create streams.yaml (see streams.example.yaml) or set TURBOSTREAM_STREAMS_FILE`);
  }
  const lifecycle = new ProcessLifecycle({ config, logger: logger.child({ service: name }) });
  await lifecycle.start();
  const pipeline = await startPipeline(config, [name], logger).catch(async (error: unknown) => {
    await lifecycle.stop(async () => {});
    throw error;
  });
  lifecycle.started(pipeline.redis);
  logger.info({ redis: redactRedisUrl(config.redis.url), namespace: config.namespace }, `${name} started`);
  // The analyzer serves providers, not streams: nothing in the streams file is its to follow.
  const follow =
    name === 'analyzer' || !config.streamsFile
      ? undefined
      : followStreamsFile({ config, path: config.streamsFile, ingest: pipeline.ingest, windower: pipeline.windower, redis: pipeline.redis, keys: pipeline.keys, logger: logger.child({ service: name }), service: name });
  const signal = await lifecycle.stopRequested();
  logger.info({ signal, deadlineMs: config.shutdownTimeoutMs }, `${name} stopping`);
  await lifecycle.stop(async () => {
    await follow?.close();
    await pipeline.close();
  });
  logger.info(`${name} stopped`);
  logger.flush?.();
}
