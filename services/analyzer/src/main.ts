import { formatProblem, type ServiceConfigs, streamsFileName } from '@turbostream/config';
import { loadPriceFile, PriceBook, PriceFileWatch, type PriceReload } from '@turbostream/costs';
import { PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import { type AnalysisProvider, createProvider } from '@turbostream/providers';
import { closeRedis, connectRedis, connectService, type RunningService } from '@turbostream/redis';
import { Analyzer } from './analyzer.js';

type AnalyzerConfig = ServiceConfigs['analyzer'];

/** The providers this analyzer can serve: every configured one (the heuristic always is). */
export function buildProviders(
  config: Pick<AnalyzerConfig, 'providers' | 'heuristic'>,
): Map<ProviderId, AnalysisProvider> {
  const providers = new Map<ProviderId, AnalysisProvider>();
  for (const id of PROVIDER_IDS) {
    const settings = id === 'heuristic' ? { configured: true } : config.providers[id];
    if (!settings?.configured) continue;
    providers.set(id, createProvider(id, settings, { heuristic: config.heuristic }));
  }
  return providers;
}

/** One log line per reload of the price file: what applies now, or why the previous prices stay. */
function logPriceReload(logger: Logger, file: string, reload: PriceReload): void {
  switch (reload.kind) {
    case 'applied':
      logger.info({ file, rows: reload.rows.length }, 'prices reloaded from the price file');
      return;
    case 'removed':
      logger.info({ file }, 'price file removed: the built-in prices apply alone');
      return;
    case 'rejected':
      logger.warn(
        { file, problems: reload.problems.map(formatProblem) },
        `price file rejected, the previous prices stay: ${reload.problems.map(formatProblem).join('; ')}`,
      );
      return;
  }
}

/**
 * The analyzer's prices: the built-in table with the price file over it (a file that does not validate is reported
 * and left out), followed while the analyzer runs.
 */
export function followPrices(pricesFile: string, logger: Logger): { prices: PriceBook; watch: PriceFileWatch } {
  const file = streamsFileName(pricesFile, process.cwd());
  const prices = new PriceBook();
  const { exists, problems } = loadPriceFile(prices, pricesFile, file);
  if (problems.length > 0) logPriceReload(logger, file, { kind: 'rejected', problems });
  else if (exists) logger.info({ file, rows: prices.userRows.length }, 'prices read from the price file');
  const watch = new PriceFileWatch(prices, {
    path: pricesFile,
    fileName: file,
    onReload: (reload) => logPriceReload(logger, file, reload),
    onError: (err) => logger.warn({ err, file }, 'cannot watch the price file; it is still read every 2 s'),
  }).start();
  return { prices, watch };
}

/**
 * Starts the analyzer: builds the configured providers, opens its connections (one for BullMQ), follows the price
 * file and starts the workers.
 */
export async function startAnalyzer(
  config: AnalyzerConfig,
  rootLogger: Logger,
  metrics?: TurboMetrics,
): Promise<RunningService<Analyzer>> {
  const logger = rootLogger.child({ service: 'analyzer' });
  const providers = buildProviders(config);
  if (providers.size === 0)
    throw new Error(
      'no analysis provider is configured: set the variables of at least one provider (see env.local.example)',
    );
  const { redis, keys, events } = connectService('analyzer', config, (fields, message) => logger.warn(fields, message));
  const connection = connectRedis({ ...config.redis, name: 'turbostream:analyzer:bullmq' });
  connection.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const { prices, watch } = followPrices(config.pricesFile, logger);
  const disconnect = async () => void (await Promise.all([watch.close(), closeRedis(redis), closeRedis(connection)]));
  const analyzer = new Analyzer({
    redis,
    connection,
    keys,
    logger,
    events,
    providers,
    settings: config.analyzer,
    llm: config.llm,
    prices,
    budgets: new Map(PROVIDER_IDS.map((id) => [id, config.providers[id].budget])),
    instanceId: config.instanceId,
    // On SIGTERM, jobs in flight get this long; what is still running is then handed back to the queue.
    drainTimeoutMs: config.shutdownTimeoutMs,
    ...(metrics ? { metrics } : {}),
  });
  await analyzer.start().catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  logger.info({ providers: analyzer.providers }, 'analyzer serves these providers');
  return { service: analyzer, redis, keys, disconnect };
}
