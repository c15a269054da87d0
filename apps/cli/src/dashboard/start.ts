/** Starts the whole dashboard (reader, live hub, HTTP server) on a Redis and namespace; for the command and for `up`. */
import { formatProblem, type StreamConfig, streamsFileName, type TurboConfig } from '@turbostream/config';
import { loadPriceFile, PriceBook } from '@turbostream/costs';
import type { Logger } from '@turbostream/logging';
import { closeRedis, connectRedis, createKeyLayout } from '@turbostream/redis';
import { UsageError } from '../runtime/load.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';
import { startRefusal } from './auth.js';
import { configSecrets, DashboardSource, SecretScrubber } from './data.js';
import { DashboardHub } from './hub.js';
import { startDashboardServer } from './server.js';

export interface DashboardStartOptions {
  config: TurboConfig;
  /** The Redis and namespace to show (a running `up`'s, or the configuration's). */
  redis: { url: string; cluster: boolean; nodes: string[] };
  namespace: string;
  host: string;
  port: number;
  logger: Logger;
  /** The streams to show. @defaultValue the streams file's */
  streams?: () => readonly StreamConfig[];
  /** How often an open page's streams are read again. @defaultValue 2000 */
  refreshMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the dashboard. Refuses (a UsageError, exit 78) to listen anywhere but loopback without DASHBOARD_TOKEN, and
 * fails with exit 69 when Redis does not answer or 75 when the port is taken.
 */
export async function startDashboard(options: DashboardStartOptions): Promise<Dashboard> {
  const { config, host, port, logger } = options;
  const token = config.dashboard.token;
  const refusal = startRefusal(host, token);
  if (refusal) throw new UsageError(`turbostream dashboard: ${refusal}`, 78);
  const keys = createKeyLayout(options.namespace);
  const redis = await connectForCommand(options.redis, 'turbostream:dashboard', { follow: true });
  const subscriber = connectRedis({ ...options.redis, name: 'turbostream:dashboard:live' });
  const scrubber = new SecretScrubber(configSecrets(config, options.redis.nodes));
  // The prices of asked questions, as `turbostream ask` reads them.
  const prices = new PriceBook();
  const { problems } = loadPriceFile(prices, config.pricesFile, streamsFileName(config.pricesFile, process.cwd()));
  for (const problem of problems)
    logger.warn(`dashboard: price file not used (built-in prices): ${formatProblem(problem)}`);
  const source = new DashboardSource({
    redis,
    keys,
    config,
    prices,
    ...(options.streams ? { streams: options.streams } : {}),
  });
  const hub = new DashboardHub({
    source,
    subscriber,
    scrubber,
    logger,
    changes: token
      ? { enabled: true, reason: '' }
      : {
          enabled: false,
          reason:
            'changes from the page need DASHBOARD_TOKEN: set it (at least 16 characters, e.g. `openssl rand -hex 24`) ' +
            'in env.local or the environment and restart the dashboard, then open it as /?token=<the token>',
        },
    ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }),
  });
  const closeAll = async () => {
    await hub.close();
    await source.close();
    await closeRedis(redis).catch(() => {});
  };
  try {
    await hub.start();
    const server = await startDashboardServer({ host, port, token, source, hub, scrubber, logger });
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        await server.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(
        `turbostream dashboard: port ${port} on ${host} is taken: stop what uses it, or pick another with --port ` +
          '(or DASHBOARD_PORT)',
        75,
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      throw new UsageError(`turbostream dashboard: cannot listen on ${host}: no such address on this machine`, 78);
    throw error;
  }
}
