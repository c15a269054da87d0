import type { AnalyzerSettings, LlmSettings } from '@turbostream/config';
import type { Budget, ProviderId, WindowJobResult } from '@turbostream/contracts';
import { BudgetLedger, type BudgetPeriods, budgetRemaining, PriceBook } from '@turbostream/costs';
import type { Logger } from '@turbostream/logging';
import { TurboMetrics } from '@turbostream/metrics';
import { type AnalysisProvider, ProviderError } from '@turbostream/providers';
import { AnalysisConsumer } from '@turbostream/queue';
import {
  AlertPublisher,
  AnalysisLog,
  AnalyzerPresence,
  EventPublisher,
  type KeyLayout,
  type RedisClient,
} from '@turbostream/redis';
import type { Job } from 'bullmq';
import { failureContext, messagesOf } from './failure-context.js';
import { SpendGuard } from './spend-guard.js';
import { measuredProvider } from './provider-metrics.js';
import { streamLabel, WindowJobProcessor } from './window-job-processor.js';

export interface AnalyzerOptions {
  /** Publishes alerts, events and dead letters. */
  redis: RedisClient;
  /** BullMQ's connection, created with `maxRetriesPerRequest: null`; workers duplicate it for blocking reads. */
  connection: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  /** @defaultValue an EventPublisher on `redis` for service `analyzer` */
  events?: EventPublisher;
  /** The configured providers; one worker listens to each one's queue. */
  providers: ReadonlyMap<ProviderId, AnalysisProvider>;
  settings: AnalyzerSettings;
  llm: LlmSettings;
  /**
   * Prices each call (`costUsd` of alerts and job results); the caller may follow a price file with it.
   * @defaultValue the built-in prices only
   */
  prices?: PriceBook;
  /**
   * Each provider's budget (`<PROVIDER>_BUDGET_*`), checked with the stream's before every call across all analyzers.
   * @defaultValue none
   */
  budgets?: ReadonlyMap<ProviderId, Budget>;
  /** The budgets' periods; tests shorten them. @defaultValue a UTC day and a minute */
  budgetPeriods?: BudgetPeriods;
  /** Where its metrics go (the process's registry). @defaultValue a registry of its own */
  metrics?: TurboMetrics;
  /** Worker name, shown as `job.processedBy`, and `analyzer` in job results. */
  instanceId: string;
  /** @defaultValue Date.now */
  clock?: () => number;
  /**
   * How long `close()` waits for active jobs before cancelling them.
   * @defaultValue settings.lockMs
   */
  drainTimeoutMs?: number;
  /**
   * Wait after a 429 that did not say how long.
   * @defaultValue 10000
   */
  rateLimitDelayMs?: number;
  /**
   * How often to check that every worker's main loop still runs (it can end after a Redis
   * error, leaving a worker that no longer consumes); a stopped one is restarted.
   * @defaultValue 5000
   */
  livenessIntervalMs?: number;
  /**
   * Longest wait honoured from a provider's Retry-After.
   * @defaultValue 600000
   */
  maxRateLimitDelayMs?: number;
}

/**
 * The analyzer: one BullMQ worker per configured provider (libs/queue's
 * AnalysisConsumer), each on that provider's queue. Jobs run only with the
 * provider they name; failures are decided before BullMQ sees them; a window
 * that fails for good is announced as a `window.failed` event.
 */
export class Analyzer {
  readonly #options: AnalyzerOptions;
  readonly #logger: Logger;
  readonly #events: EventPublisher;
  readonly #processor: WindowJobProcessor;
  readonly #analyses: AnalysisLog;
  readonly #consumer: AnalysisConsumer<WindowJobResult>;
  readonly #pending = new Set<Promise<void>>();
  readonly #metrics: TurboMetrics;
  readonly #ledger: BudgetLedger;
  readonly #stopCollecting: Array<() => void> = [];
  #started = false;
  #closing: Promise<void> | undefined;
  #presence: AnalyzerPresence | undefined;

  constructor(options: AnalyzerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const clock = options.clock ?? Date.now;
    this.#events =
      options.events ??
      new EventPublisher({
        redis: options.redis,
        keys: options.keys,
        service: 'analyzer',
        onError: (err) => this.#logger.error({ err }, 'cannot publish event'),
      });
    const prices = options.prices ?? new PriceBook();
    const metrics = options.metrics ?? new TurboMetrics();
    this.#metrics = metrics;
    this.#ledger = new BudgetLedger({
      redis: options.redis,
      keys: options.keys,
      ...(options.budgetPeriods ? { periods: options.budgetPeriods } : {}),
    });
    const providers = new Map(
      [...options.providers].map(([id, provider]) => [id, measuredProvider(provider, { metrics, prices })]),
    );
    this.#analyses = new AnalysisLog({
      redis: options.redis,
      keys: options.keys,
      onError: (err) => this.#logger.warn({ err }, 'cannot record an analysis outcome; turbostream report misses it'),
    });
    this.#processor = new WindowJobProcessor({
      redis: options.redis,
      keys: options.keys,
      logger: options.logger,
      publisher: new AlertPublisher({ redis: options.redis, keys: options.keys }),
      analyses: this.#analyses,
      providers,
      llm: options.llm,
      prices,
      spend: new SpendGuard({
        ledger: this.#ledger,
        prices,
        events: this.#events,
        providerBudgets: options.budgets ?? new Map(),
        maxTokens: options.llm.maxTokens,
      }),
      instanceId: options.instanceId,
      clock,
      metrics,
    });
    const { settings } = options;
    this.#consumer = new AnalysisConsumer({
      connection: options.connection,
      keys: options.keys,
      logger: options.logger,
      providers: this.providers,
      name: options.instanceId,
      concurrency: settings.concurrency,
      lockMs: settings.lockMs,
      process: (job, token, signal, admit) => this.#processor.process(job, token, signal, admit),
      rateLimitedFor: (err) =>
        ProviderError.isInstance(err) && err.kind === 'rate-limited'
          ? Math.min(err.retryAfterMs ?? options.rateLimitDelayMs ?? 10_000, options.maxRateLimitDelayMs ?? 600_000)
          : undefined,
      onFailed: (provider, job, err) => this.#track(this.#onFailed(provider, job, err)),
      drainTimeoutMs: options.drainTimeoutMs ?? settings.lockMs,
      ...(options.livenessIntervalMs ? { livenessIntervalMs: options.livenessIntervalMs } : {}),
    });
  }

  /** The providers this analyzer serves. */
  get providers(): ProviderId[] {
    return [...this.#options.providers.keys()];
  }

  /** Starts one worker per configured provider and waits until each is connected. */
  async start(): Promise<void> {
    if (this.#closing) throw new Error('analyzer is closed');
    if (this.#started) return;
    this.#started = true;
    const { settings, keys, instanceId } = this.#options;
    await this.#consumer.start();
    // Tell windowers which providers have a live analyzer, so jobs nobody can run are reported, not left waiting
    // silently.
    this.#presence = new AnalyzerPresence({
      redis: this.#options.redis,
      keys,
      instanceId,
      providers: this.providers,
      concurrency: settings.concurrency,
      onError: (err) => this.#logger.warn({ err }, 'analyzer heartbeat failed'),
    });
    await this.#presence.start();
    this.#collectBudgets();
    this.#logger.info({ providers: this.providers, instanceId, concurrency: settings.concurrency }, 'analyzer started');
  }

  /**
   * Stops taking jobs, lets active ones finish until the drain deadline, cancels the rest, then closes the workers.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const stop of this.#stopCollecting.splice(0)) stop();
    await this.#presence?.close();
    await this.#consumer.close();
    await Promise.race([
      Promise.allSettled([...this.#pending]),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
    this.#logger.info({ instanceId: this.#options.instanceId }, 'analyzer stopped');
  }

  /** What is left of the budgets of the providers it serves (those with a limit), read at scrape time. */
  #collectBudgets(): void {
    const limited = this.providers.flatMap((provider) => {
      const budget = this.#options.budgets?.get(provider);
      return budget && (budget.usdPerDay !== undefined || budget.tokensPerMinute !== undefined)
        ? [{ scope: `provider:${provider}`, budget }]
        : [];
    });
    if (limited.length === 0) return;
    const clock = this.#options.clock ?? Date.now;
    const read = () =>
      Promise.all(
        limited.map(async ({ scope, budget }) => ({
          scope,
          left: budgetRemaining(budget, await this.#ledger.status(scope, clock())),
        })),
      );
    this.#stopCollecting.push(
      this.#metrics.onCollect('budgetDollarsLeft', async (gauge) => {
        for (const { scope, left } of await read())
          if (left.usdPerDay !== undefined) gauge.set({ scope }, left.usdPerDay);
      }),
      this.#metrics.onCollect('budgetTokensLeft', async (gauge) => {
        for (const { scope, left } of await read())
          if (left.tokensPerMinute !== undefined) gauge.set({ scope }, left.tokensPerMinute);
      }),
    );
  }

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    work.finally(() => this.#pending.delete(work)).catch(() => {});
  }

  /** Announces a window that failed for good; a failure that will be retried is only logged. */
  async #onFailed(provider: ProviderId, job: Job<unknown, WindowJobResult> | undefined, err: Error): Promise<void> {
    try {
      if (!job) {
        this.#logger.error({ err, provider }, 'analysis job failed and was removed');
        return;
      }
      const attempts = job.opts.attempts ?? 1;
      const final = err.name === 'UnrecoverableError' || job.attemptsMade >= attempts;
      const context = failureContext(job.data);
      this.#metrics.metric('analyses').inc({
        stream: streamLabel(context.streamId),
        provider,
        model: context.model !== undefined && context.model.length <= 128 ? context.model : 'unknown',
        outcome: final ? 'failed' : 'retried',
      });
      if (!final) {
        this.#logger.warn(
          { err, provider, jobId: job.id, attemptsMade: job.attemptsMade, attempts },
          'analysis attempt failed; will retry',
        );
        return;
      }
      const reason = err.message;
      this.#logger.error(
        { jobId: job.id, ...context, provider: context.provider ?? provider, attemptsMade: job.attemptsMade, reason },
        'window analysis failed',
      );
      const { streamId, windowId, model } = context;
      if (job.id && streamId && windowId && model)
        await this.#analyses.append({
          v: 1,
          jobId: job.id,
          streamId,
          windowId,
          provider: context.provider ?? provider,
          model,
          messages: messagesOf(job.data),
          analyzer: this.#options.instanceId,
          outcome: 'failed',
          reason: reason.slice(0, 500),
        });
      await this.#events.publish({
        type: 'window.failed',
        ...(context.streamId ? { streamId: context.streamId } : {}),
        message:
          `window ${context.windowId ?? '?'} of ${context.streamId ?? '?'} failed ` +
          `with ${context.provider ?? provider}/${context.model ?? '?'}: ${reason}`,
        details: {
          windowId: context.windowId,
          provider: context.provider ?? provider,
          model: context.model,
          reason,
          jobId: job.id,
          attemptsMade: job.attemptsMade,
          analyzer: this.#options.instanceId,
        },
      });
    } catch (error) {
      this.#logger.error({ err: error, provider }, 'cannot report a failed window');
    }
  }
}
