import { redactRedisUrl } from '@turbostream/redis';
import { loadConfigOrExit, rootLogger } from '../runtime/load.js';
import { type ServiceName, startPipeline } from '../runtime/pipeline.js';
import { untilSignal } from '../runtime/shutdown.js';

export const SERVICE_HELP: Record<ServiceName, string> = {
  ingest: `turbostream ingest — hold one WebSocket per configured source and append every message to its Redis stream

Usage: turbostream ingest

Reads env.local and the streams file (TURBOSTREAM_STREAMS_FILE, default streams.yaml).
Bad frames (binary, invalid UTF-8, oversized, not JSON) go to the dead-letter stream.`,
  windower: `turbostream windower — cut each Redis stream into windows and enqueue one analysis job per target

Usage: turbostream windower

Run several for failover: each stream has one owner at a time (a lease).`,
  analyzer: `turbostream analyzer — analyse windows with the provider and model each job names, and publish alerts

Usage: turbostream analyzer

Serves every provider configured in env.local (heuristic always). Scale by running more.
ANALYZER_CONCURRENCY sets the jobs in flight per process.`,
};

/** Runs one service as its own process until SIGINT/SIGTERM. */
export async function runService(name: ServiceName): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  if (name !== 'analyzer' && config.streams.length === 0) {
    throw new Error(`${name} needs streams: create streams.yaml (see streams.example.yaml) or set TURBOSTREAM_STREAMS_FILE`);
  }
  const pipeline = await startPipeline(config, [name], logger);
  logger.info({ redis: redactRedisUrl(config.redis.url), namespace: config.namespace }, `${name} started`);
  const signal = await untilSignal();
  logger.info({ signal }, `${name} stopping`);
  await pipeline.close();
  logger.info(`${name} stopped`);
  logger.flush?.();
}
