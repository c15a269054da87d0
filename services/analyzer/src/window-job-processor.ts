import {
  assertNever,
  deadLetter,
  type ProviderId,
  STREAM_ID_PATTERN,
  WindowJob,
  type WindowJobResult,
  windowJobId,
} from '@turbostream/contracts';
import type { LlmSettings } from '@turbostream/config';
import type { PriceBook, Reservation } from '@turbostream/costs';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import { type AnalysisResult, type AnalysisProvider, analyzeWithRepair, ProviderError } from '@turbostream/providers';
import { analysisQueueName } from '@turbostream/queue';
import {
  type AlertPublisher,
  type AnalysisLog,
  type KeyLayout,
  type RedisClient,
  writeDeadLetters,
} from '@turbostream/redis';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { buildAlerts } from './build-alerts.js';
import { failureContext } from './failure-context.js';
import type { SpendGuard } from './spend-guard.js';

export interface WindowJobProcessorOptions {
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  publisher: AlertPublisher;
  /** Where each outcome is recorded for `turbostream report` (best effort: it never fails a job). */
  analyses: AnalysisLog;
  providers: ReadonlyMap<ProviderId, AnalysisProvider>;
  llm: LlmSettings;
  /** Prices each call: `costUsd` of the alerts and the job result. */
  prices: PriceBook;
  /** The budgets: a call's estimate is reserved before it and its use settled after. */
  spend: SpendGuard;
  instanceId: string;
  clock: () => number;
  /** Where outcomes, alerts and invalid jobs are counted. */
  metrics: TurboMetrics;
}

/** How an analysis attempt ended, as `turbostream_analyses_total` counts it (`retried` and `failed`: the analyzer's). */
export type AnalysisOutcome = 'completed' | 'retried' | 'failed' | 'rate-limited' | 'budget-wait' | 'cancelled';

/** A stream id as a metric label: an invalid job's may be anything, and labels stay bounded. */
export function streamLabel(streamId: string | undefined): string {
  return streamId !== undefined && STREAM_ID_PATTERN.test(streamId) ? streamId : 'unknown';
}

/** Processes one analysis job: validate, analyse with the named provider only, publish alerts once. */
export class WindowJobProcessor {
  readonly #options: WindowJobProcessorOptions;

  constructor(options: WindowJobProcessorOptions) {
    this.#options = options;
  }

  /** `admit` is libs/queue's rate-limit check, called right before the provider (see AnalysisProcessor). */
  async process(
    job: Job<unknown, WindowJobResult>,
    token: string | undefined,
    signal: AbortSignal | undefined,
    admit: () => Promise<void>,
  ): Promise<WindowJobResult> {
    const options = this.#options;
    const parsed = WindowJob.safeParse(job.data);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      const letter = deadLetter({
        streamId: failureContext(job.data).streamId ?? 'unknown',
        reason: 'invalid-job',
        detail,
        payload: JSON.stringify(job.data) ?? String(job.data),
        receivedAt: options.clock(),
      });
      await writeDeadLetters(options.redis, options.keys, [letter]);
      options.metrics.metric('deadLetters').inc({ stream: streamLabel(letter.streamId), reason: 'invalid-job' });
      throw new UnrecoverableError(`invalid-job: ${detail}`);
    }
    const data = parsed.data;
    const { target, window } = data;
    const logger = options.logger.child({
      jobId: job.id,
      streamId: window.streamId,
      windowId: window.windowId,
      provider: target.provider,
      model: target.model,
    });
    if (job.queueName !== analysisQueueName(target.provider)) {
      throw new UnrecoverableError(`job names provider ${target.provider} but sits in queue ${job.queueName}`);
    }
    const provider = options.providers.get(target.provider);
    if (!provider)
      throw new UnrecoverableError(`provider ${target.provider} is not served by analyzer ${options.instanceId}`);

    await admit();
    const spend = await options.spend.reserve(data);
    if (spend.kind === 'never') {
      logger.warn({ reason: spend.message }, 'window can never fit its budget; failed for good');
      throw new UnrecoverableError(`budget: ${spend.message}`);
    }
    if (spend.kind === 'wait') {
      const { scope, limit, resetsAt } = spend.refusal;
      logger.info(
        { scope, limit, resetsAt: new Date(resetsAt).toISOString() },
        'budget spent; the window waits for the next period',
      );
      this.#count(data, 'budget-wait');
      // Spread the windows that wake together at the roll-over over a second; no attempt is used.
      await job.moveToDelayed(resetsAt + Math.floor(Math.random() * 1_000), token);
      throw new DelayedError();
    }
    let result: AnalysisResult;
    try {
      result = await analyzeWithRepair(provider, {
        model: target.model,
        instructions: data.instructions,
        window,
        maxTokens: options.llm.maxTokens,
        temperature: options.llm.temperature,
        timeoutMs: options.llm.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      await this.#settleFailed(data, spend.reservation, error, logger);
      if (ProviderError.isInstance(error) && error.kind === 'rate-limited') {
        this.#count(data, 'rate-limited');
        await options.analyses.append({
          ...this.#recordOf(job, data),
          outcome: 'rate-limited',
          retryAfterMs: error.retryAfterMs ?? null,
        });
      }
      if (signal?.aborted) {
        this.#count(data, 'cancelled');
        // Cancelled by a shutdown: hand the job back without spending an attempt.
        logger.info({ reason: String(signal.reason) }, 'analysis cancelled; job handed back');
        await job.moveToDelayed(options.clock(), token);
        throw new DelayedError();
      }
      throw this.#decide(job, error, logger);
    }

    await options.spend
      .settle(data, spend.reservation, result.usage)
      .catch((err: unknown) =>
        logger.warn({ err }, 'cannot settle the budget reservation; the estimate stays counted'),
      );
    const costUsd = options.prices.costOf(target.provider, target.model, result.usage);
    const alerts = buildAlerts(
      data,
      result,
      { enqueuedAt: job.timestamp, startedAt: job.processedOn ?? options.clock(), now: options.clock() },
      costUsd,
    );
    let published = 0;
    const alertsCounter = options.metrics.metric('alerts');
    for (const alert of alerts) {
      if (!(await options.publisher.publish(alert))) continue;
      published += 1;
      alertsCounter.inc({
        stream: window.streamId,
        provider: target.provider,
        model: target.model,
        severity: alert.severity,
      });
    }
    this.#count(data, 'completed');
    await options.analyses.append({
      ...this.#recordOf(job, data),
      outcome: 'completed',
      ttftMs: Math.max(0, result.timings.ttftMs),
      totalMs: Math.max(0, result.timings.totalMs),
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd,
      alerts: alerts.map(({ severity, evidence }) => ({ severity, evidence })),
    });
    logger.info(
      {
        alerts: alerts.length,
        published,
        ttftMs: Math.round(result.timings.ttftMs),
        totalMs: Math.round(result.timings.totalMs),
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        costUsd,
      },
      'window analysed',
    );
    return {
      v: 1,
      analyzer: options.instanceId,
      alertIds: alerts.map((alert) => alert.id),
      published,
      ttftMs: Math.max(0, result.timings.ttftMs),
      totalMs: Math.max(0, result.timings.totalMs),
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      costUsd,
    };
  }

  #count(data: WindowJob, outcome: AnalysisOutcome): void {
    const { window, target } = data;
    this.#options.metrics
      .metric('analyses')
      .inc({ stream: window.streamId, provider: target.provider, model: target.model, outcome });
  }

  /** What every analysis record of this job names. */
  #recordOf(job: Job<unknown, WindowJobResult>, data: WindowJob) {
    return {
      v: 1 as const,
      jobId: job.id ?? windowJobId(data.window.streamId, data.window.windowId, data.target),
      streamId: data.window.streamId,
      windowId: data.window.windowId,
      provider: data.target.provider,
      model: data.target.model,
      messages: data.window.messages.length,
      analyzer: this.#options.instanceId,
    };
  }

  /**
   * Settles the budget of a call that failed: a 429 used nothing and gives the reservation back; a failure that says
   * what it used settles that; otherwise the estimate stays counted (the provider may have billed it).
   */
  async #settleFailed(job: WindowJob, reservation: Reservation, error: unknown, logger: Logger): Promise<void> {
    const { spend } = this.#options;
    try {
      if (ProviderError.isInstance(error) && error.kind === 'rate-limited') await spend.release(reservation);
      else await spend.settle(job, reservation, ProviderError.isInstance(error) ? error.usage : undefined);
    } catch (err) {
      logger.warn({ err }, 'cannot settle the budget reservation; the estimate stays counted');
    }
  }

  /** Decides, before BullMQ sees it, what a provider failure means for the job; returns the error to throw. */
  #decide(job: Job<unknown, WindowJobResult>, error: unknown, logger: Logger): Error {
    if (!ProviderError.isInstance(error)) {
      logger.warn({ err: error }, 'analysis failed unexpectedly; will retry');
      return error instanceof Error ? error : new Error(String(error));
    }
    switch (error.kind) {
      case 'permanent':
      case 'invalid-output':
        logger.warn({ err: error }, 'analysis failed for good');
        return new UnrecoverableError(`${error.kind}: ${error.message}`);
      case 'rate-limited':
        logger.warn(
          { retryAfterMs: error.retryAfterMs, statusCode: error.statusCode },
          'provider rate limited; the queue waits and the job goes back without using an attempt',
        );
        return error;
      case 'transient':
        logger.warn({ err: error, attemptsMade: job.attemptsMade }, 'analysis failed; will retry with backoff');
        return error;
      default:
        return assertNever(error.kind);
    }
  }
}
