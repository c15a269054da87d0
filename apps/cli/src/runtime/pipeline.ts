import { serviceConfigs, type TurboConfig } from '@turbostream/config';
import type { Ingest } from '@turbostream/ingest';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import type { KeyLayout, RedisClient, RunningService } from '@turbostream/redis';
import type { Windower } from '@turbostream/windower';

interface Closable {
  close(): Promise<void>;
}

/**
 * The one table of services: each name's start function, handed that service's part of the configuration and the
 * process's metrics. Each imports its package when it runs, so a process holds the code of the services it starts
 * only: `turbostream ingest` without the analyzer's provider SDKs and token tables (~100 MB of RSS).
 */
const START = {
  ingest: async (config: TurboConfig, logger: Logger, metrics?: TurboMetrics) =>
    (await import('@turbostream/ingest')).startIngest(serviceConfigs(config).ingest, logger, metrics),
  windower: async (config: TurboConfig, logger: Logger, metrics?: TurboMetrics) =>
    (await import('@turbostream/windower')).startWindower(serviceConfigs(config).windower, logger, metrics),
  analyzer: async (config: TurboConfig, logger: Logger, metrics?: TurboMetrics) =>
    (await import('@turbostream/analyzer')).startAnalyzer(serviceConfigs(config).analyzer, logger, metrics),
} satisfies Record<
  string,
  (config: TurboConfig, logger: Logger, metrics?: TurboMetrics) => Promise<RunningService<Closable>>
>;

export type ServiceName = keyof typeof START;
export const SERVICE_NAMES = Object.keys(START) as readonly ServiceName[];

/** Running services; `close()` stops every service, then closes their connections. */
export interface Pipeline {
  keys: KeyLayout;
  /** The connection of the first service started here, for readiness and the streams file's events. */
  redis: RedisClient;
  /** The services that follow the streams file while running, when started here. */
  ingest?: Ingest | undefined;
  windower?: Windower | undefined;
  close(): Promise<void>;
}

/**
 * How long a service that keeps nothing unsaved (the windower, an analyzer) waits for Redis to answer again when it is
 * stopped while Redis is gone.
 */
const GRACE_WITHOUT_REDIS_MS = 2_000;

/**
 * Closes a service, except that it is not waited for once Redis does not
 * answer: then nothing in flight can be finished or handed back (both need
 * Redis), and it is recovered when Redis is back (jobs by the stalled check,
 * stream entries from the checkpoint). Ingest, whose buffer is lost if it is
 * not written, waits for Redis until the shutdown deadline; the others for a
 * short grace. While Redis answers, the close is waited for (and a hang is the
 * shutdown watchdog's to end).
 */
async function closeUnlessRedisIsGone(
  name: ServiceName,
  service: Closable,
  { redis, deadlineMs, logger }: { redis: RedisClient; deadlineMs: number; logger: Logger },
): Promise<void> {
  const closing = service.close();
  const graceMs = name === 'ingest' ? deadlineMs : Math.min(GRACE_WITHOUT_REDIS_MS, deadlineMs);
  const startedAt = Date.now();
  for (;;) {
    const waited = Date.now() - startedAt;
    const limitMs = redis.status === 'ready' ? deadlineMs : graceMs;
    const left = Math.max(0, limitMs - waited);
    const timer = new Promise<'waiting'>((resolve) =>
      setTimeout(() => resolve('waiting'), Math.min(left, 500)).unref(),
    );
    if ((await Promise.race([closing.then(() => 'closed' as const), timer])) === 'closed') return;
    if (redis.status !== 'ready' && Date.now() - startedAt >= graceMs) {
      closing.catch(() => {});
      logger.warn(
        { service: name, waitedMs: Date.now() - startedAt },
        `${name} stops without finishing: Redis does not answer, so what it had in flight is left to be ` +
          `recovered when Redis is back`,
      );
      return;
    }
    if (redis.status === 'ready' && Date.now() - startedAt >= deadlineMs) return closing;
  }
}

/**
 * Starts the named services in this process on one configuration, each on its
 * own connections. On close they all stop taking work at once: ingest closes
 * its sockets and writes its buffer, the windower releases its leases, the
 * analyzers finish their jobs within `config.shutdownTimeoutMs` and hand back the rest. They count into `metrics`
 * (the process's, which `/metrics` serves), or each into a registry of its own.
 */
export async function startPipeline(
  config: TurboConfig,
  services: readonly ServiceName[],
  logger: Logger,
  metrics?: TurboMetrics,
): Promise<Pipeline> {
  const started: Array<[ServiceName, RunningService<Closable>]> = [];
  const closeAll = async () => {
    // All at once, so each gets the whole shutdown deadline: nothing in flight in one waits on another.
    await Promise.all(
      started.map(async ([name, { service, redis }]) => {
        try {
          await closeUnlessRedisIsGone(name, service, { redis, deadlineMs: config.shutdownTimeoutMs, logger });
        } catch (err) {
          logger.error({ err, service: name }, 'service did not close cleanly');
        }
      }),
    );
    await Promise.all(started.map(([, running]) => running.disconnect()));
  };
  try {
    for (const name of SERVICE_NAMES.filter((candidate) => services.includes(candidate)).toReversed())
      started.push([name, await START[name](config, logger, metrics)]);
  } catch (error) {
    await closeAll();
    throw error;
  }
  const [first] = started;
  if (!first) throw new Error('no service to start');
  const serviceOf = (name: ServiceName) => started.find(([candidate]) => candidate === name)?.[1].service;
  let closing: Promise<void> | undefined;
  const { keys, redis } = first[1];
  return {
    keys,
    redis,
    ingest: serviceOf('ingest') as Ingest | undefined,
    windower: serviceOf('windower') as Windower | undefined,
    close: () => (closing ??= closeAll()),
  };
}
