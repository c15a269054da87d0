import { PROVIDER_VARIABLES } from '@turbostream/config';
import type { ProviderId, StreamStatus, UnservedTarget } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { type EventPublisher, type KeyLayout, liveAnalyzers, type RedisClient } from '@turbostream/redis';
import type { AnalysisProducer } from '@turbostream/queue';
import type { StreamWindower } from './stream-windower.js';

export interface ProviderWatchOptions {
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  events: EventPublisher | undefined;
  queues: AnalysisProducer;
  streams: readonly StreamWindower[];
  owner: string;
  clock: () => number;
  /** @defaultValue 5000 */
  intervalMs?: number;
  /**
   * Time after start before a provider without analyzers is reported (analyzers starting alongside get to beat first).
   * @defaultValue 10000
   */
  graceMs?: number;
  /** A still-unserved provider is reported again this often. @defaultValue 300000 */
  repeatMs?: number;
}

/** How often an unchanged stream status is written again (`updatedAt` is then at most this old). */
const STATUS_REFRESH_MS = 60_000;

/**
 * Watches, for every stream this windower owns, that each target's provider
 * has a live analyzer. A provider nobody serves is reported on the events
 * channel and in the stream's status, naming the variables that would
 * configure it; its jobs wait in its queue, never handed to another provider.
 */
export class ProviderWatch {
  readonly #options: ProviderWatchOptions;
  readonly #startedAt: number;
  /** stream id → provider → when it was first seen unserved, and when last reported. */
  readonly #unserved = new Map<string, Map<ProviderId, { since: number; reportedAt: number }>>();
  /** stream id → the status last written (less its time) and when: an unchanged status is written once a minute. */
  readonly #written = new Map<string, { status: string; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: ProviderWatchOptions) {
    this.#options = options;
    this.#startedAt = options.clock();
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.check()
        .catch((err: unknown) => this.#options.logger.warn({ err }, 'provider watch failed'))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#options.intervalMs ?? 5_000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One round: checks every owned stream's targets and writes its status. */
  async check(): Promise<void> {
    const { redis, keys, clock } = this.#options;
    const now = clock();
    const live = new Map<ProviderId, number>();
    for (const stream of this.#options.streams) {
      const stats = stream.stats;
      if (!stats.owned) {
        this.#written.delete(stats.streamId); // another windower writes it meanwhile
        continue;
      }
      const { targets, overridden } = stream.targets;
      const unserved: UnservedTarget[] = [];
      for (const target of targets) {
        if (!live.has(target.provider))
          live.set(target.provider, (await liveAnalyzers(redis, keys, target.provider, now)).length);
        if ((live.get(target.provider) ?? 0) > 0) continue;
        unserved.push({
          provider: target.provider,
          model: target.model,
          variables: PROVIDER_VARIABLES[target.provider].required,
          waiting: await this.#options.queues.backlog(target.provider),
          since: new Date(this.#unserved.get(stats.streamId)?.get(target.provider)?.since ?? now).toISOString(),
        });
      }
      await this.#report(stats.streamId, unserved, now);
      const status: Omit<StreamStatus, 'updatedAt'> = {
        v: 1,
        streamId: stats.streamId,
        owner: this.#options.owner,
        targets,
        overridden,
        unserved: now - this.#startedAt >= (this.#options.graceMs ?? 10_000) ? unserved : [],
        checkpoint: stats.checkpoint ?? null,
        backpressured: stats.backpressured,
      };
      // A quiet stream's status does not change: rewriting it every round would cost each stream a command a round.
      const written = this.#written.get(stats.streamId);
      const unchanged = JSON.stringify(status);
      if (written?.status === unchanged && now - written.at < STATUS_REFRESH_MS) continue;
      const stored: StreamStatus = { ...status, updatedAt: new Date(now).toISOString() };
      await redis.set(keys.streamStatus(stats.streamId), JSON.stringify(stored), 'PX', 5 * 60_000);
      this.#written.set(stats.streamId, { status: unchanged, at: now });
    }
  }

  /**
   * Publishes an event when a provider becomes unserved (after the grace period, then every repeatMs) or served again.
   */
  async #report(streamId: string, unserved: readonly UnservedTarget[], now: number): Promise<void> {
    const known = this.#unserved.get(streamId) ?? new Map<ProviderId, { since: number; reportedAt: number }>();
    this.#unserved.set(streamId, known);
    const inGrace = now - this.#startedAt < (this.#options.graceMs ?? 10_000);
    for (const target of unserved) {
      const state = known.get(target.provider) ?? { since: now, reportedAt: 0 };
      known.set(target.provider, state);
      if (inGrace || now - state.reportedAt < (this.#options.repeatMs ?? 300_000)) continue;
      state.reportedAt = now;
      const message =
        `stream ${streamId}: no live analyzer serves provider ${target.provider} (model ${target.model}); ` +
        `${target.waiting} job${target.waiting === 1 ? '' : 's'} wait in its queue and are not given to another ` +
        `provider. ` +
        `Start an analyzer with ${target.variables.join(', ')} set in its env.local.`;
      this.#options.logger.warn(
        {
          streamId,
          provider: target.provider,
          model: target.model,
          waiting: target.waiting,
          variables: target.variables,
        },
        'no live analyzer serves a target provider',
      );
      await this.#options.events?.publish({ type: 'provider.unconfigured', streamId, message, details: { ...target } });
    }
    for (const [provider, state] of known) {
      if (unserved.some((target) => target.provider === provider)) continue;
      known.delete(provider);
      if (state.reportedAt === 0) continue;
      this.#options.logger.info({ streamId, provider }, 'a live analyzer serves the provider again');
      await this.#options.events?.publish({
        type: 'provider.available',
        streamId,
        message: `stream ${streamId}: provider ${provider} is served again`,
        details: { provider },
      });
    }
  }
}
