import type { ServiceConfigs } from '@turbostream/config';
import { PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
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

/**
 * Starts the analyzer: builds the configured providers, opens its connections (one for BullMQ) and starts the workers.
 */
export async function startAnalyzer(config: AnalyzerConfig, rootLogger: Logger): Promise<RunningService<Analyzer>> {
  const logger = rootLogger.child({ service: 'analyzer' });
  const providers = buildProviders(config);
  if (providers.size === 0)
    throw new Error(
      'no analysis provider is configured: set the variables of at least one provider (see env.local.example)',
    );
  const { redis, keys, events } = connectService('analyzer', config, (fields, message) => logger.warn(fields, message));
  const connection = connectRedis({ ...config.redis, name: 'turbostream:analyzer:bullmq' });
  connection.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const disconnect = async () => void (await Promise.all([closeRedis(redis), closeRedis(connection)]));
  const analyzer = new Analyzer({
    redis,
    connection,
    keys,
    logger,
    events,
    providers,
    settings: config.analyzer,
    llm: config.llm,
    instanceId: config.instanceId,
    // On SIGTERM, jobs in flight get this long; what is still running is then handed back to the queue.
    drainTimeoutMs: config.shutdownTimeoutMs,
  });
  await analyzer.start().catch(async (error: unknown) => {
    await disconnect();
    throw error;
  });
  logger.info({ providers: analyzer.providers }, 'analyzer serves these providers');
  return { service: analyzer, redis, keys, disconnect };
}
