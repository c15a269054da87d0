import { runAnalyzer } from '@turbostream/analyzer';
import type { TurboConfig } from '@turbostream/config';
import { type Ingest, runIngest } from '@turbostream/ingest';
import type { Logger } from '@turbostream/logging';
import { closeRedis, connectRedis, createKeyLayout, EventPublisher, type KeyLayout, type RedisClient } from '@turbostream/redis';
import { runWindower, type Windower } from '@turbostream/windower';

export type ServiceName = 'ingest' | 'windower' | 'analyzer';
export const SERVICE_NAMES: readonly ServiceName[] = ['ingest', 'windower', 'analyzer'];

interface Closable {
  close(): Promise<void>;
}

/** Running services and the connections they share; `close()` stops every service, then closes the connections. */
export interface Pipeline {
  keys: KeyLayout;
  redis: RedisClient;
  /** The services that follow the streams file while running, when started here. */
  ingest?: Ingest;
  windower?: Windower;
  close(): Promise<void>;
}

/** How long a service that keeps nothing unsaved (the windower, an analyzer) waits for Redis to answer again when it is stopped while Redis is gone. */
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
async function closeUnlessRedisIsGone(name: ServiceName, service: Closable, { redis, deadlineMs, logger }: { redis: RedisClient; deadlineMs: number; logger: Logger }): Promise<void> {
  const closing = service.close();
  const graceMs = name === 'ingest' ? deadlineMs : Math.min(GRACE_WITHOUT_REDIS_MS, deadlineMs);
  const startedAt = Date.now();
  for (;;) {
    const waited = Date.now() - startedAt;
    const limitMs = redis.status === 'ready' ? deadlineMs : graceMs;
    const left = Math.max(0, limitMs - waited);
    const timer = new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), Math.min(left, 500)).unref());
    if ((await Promise.race([closing.then(() => 'closed' as const), timer])) === 'closed') return;
    if (redis.status !== 'ready' && Date.now() - startedAt >= graceMs) {
      closing.catch(() => {});
      logger.warn({ service: name, waitedMs: Date.now() - startedAt }, `${name} stops without finishing: Redis does not answer, so what it had in flight is left to be recovered when Redis is back`);
      return;
    }
    if (redis.status === 'ready' && Date.now() - startedAt >= deadlineMs) return closing;
  }
}

/**
 * Starts the named services in this process on one configuration. On close
 * they all stop taking work at once: ingest closes its sockets and writes its
 * buffer, the windower releases its leases, the analyzers finish their jobs
 * within `config.shutdownTimeoutMs` and hand back the rest.
 */
export async function startPipeline(config: TurboConfig, services: readonly ServiceName[], logger: Logger): Promise<Pipeline> {
  const keys = createKeyLayout(config.namespace);
  const redis = connectRedis({ ...config.redis, name: `turbostream:${services.join('+')}` });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const connections: RedisClient[] = [redis];
  const started: Array<[ServiceName, Closable]> = [];
  const followers: { ingest?: Ingest; windower?: Windower } = {};
  const closeAll = async () => {
    // All at once, so each gets the whole shutdown deadline: nothing in flight in one waits on another.
    await Promise.all(
      started.map(async ([name, service]) => {
        try {
          await closeUnlessRedisIsGone(name, service, { redis, deadlineMs: config.shutdownTimeoutMs, logger });
        } catch (err) {
          logger.error({ err, service: name }, 'service did not close cleanly');
        }
      }),
    );
    await Promise.all(connections.map((connection) => closeRedis(connection)));
  };
  try {
    for (const name of SERVICE_NAMES.filter((candidate) => services.includes(candidate)).toReversed()) {
      const own = logger.child({ service: name });
      const events = new EventPublisher({ redis, keys, service: name, onError: (err) => own.warn({ err }, 'event not published') });
      if (name === 'ingest') {
        followers.ingest = await runIngest(config, { redis, logger, events, keys });
        started.push([name, followers.ingest]);
      }
      if (name === 'windower') {
        followers.windower = await runWindower(config, { redis, logger, events, keys });
        started.push([name, followers.windower]);
      }
      if (name === 'analyzer') {
        const connection = connectRedis({ ...config.redis, name: 'turbostream:analyzer:bullmq' });
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
  return { keys, redis, ...followers, close: () => (closing ??= closeAll()) };
}
