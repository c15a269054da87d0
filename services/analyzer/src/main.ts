import type { TurboConfig } from '@turbostream/config';
import { PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { type AnalysisProvider, createProvider } from '@turbostream/providers';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { Analyzer } from './analyzer.js';

export interface AnalyzerDependencies {
  /** Publishes alerts, events and dead letters. */
  redis: RedisClient;
  /** BullMQ's connection (`maxRetriesPerRequest: null`). */
  connection: RedisClient;
  logger: Logger;
  events?: EventPublisher;
  keys: KeyLayout;
}

/** The providers this analyzer can serve: every configured one (the heuristic always is). */
export function buildProviders(config: TurboConfig): Map<ProviderId, AnalysisProvider> {
  const providers = new Map<ProviderId, AnalysisProvider>();
  for (const id of PROVIDER_IDS) {
    const settings = id === 'heuristic' ? { configured: true } : config.providers[id];
    if (!settings?.configured) continue;
    providers.set(id, createProvider(id, settings, { heuristic: { threshold: config.heuristic.threshold } }));
  }
  return providers;
}

/** Composition root of the analyzer service: builds the configured providers and starts the workers. */
export async function runAnalyzer(config: TurboConfig, deps: AnalyzerDependencies): Promise<Analyzer> {
  const logger = deps.logger.child({ service: 'analyzer' });
  const providers = buildProviders(config);
  if (providers.size === 0) throw new Error('no analysis provider is configured: set the variables of at least one provider (see env.local.example)');
  const analyzer = new Analyzer({
    redis: deps.redis,
    connection: deps.connection,
    keys: deps.keys,
    logger,
    ...(deps.events ? { events: deps.events } : {}),
    providers,
    settings: config.analyzer,
    llm: config.llm,
    instanceId: config.instanceId,
    // On SIGTERM, jobs in flight get this long; what is still running is then handed back to the queue.
    drainTimeoutMs: config.shutdownTimeoutMs,
  });
  await analyzer.start();
  logger.info({ providers: analyzer.providers }, 'analyzer serves these providers');
  return analyzer;
}
