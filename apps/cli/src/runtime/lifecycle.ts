import type { TurboConfig } from '@turbostream/config';
import { HealthServer } from '@turbostream/health';
import type { Logger } from '@turbostream/logging';
import { TurboMetrics } from '@turbostream/metrics';
import { UsageError } from './load.js';
import { type PingableRedis, redisReadiness } from './redis-readiness.js';
import { untilSignal } from './shutdown.js';

/** How long closing may run past the shutdown deadline before the process exits anyway, with code 1. */
export const FORCE_EXIT_GRACE_MS = 10_000;

export interface ProcessLifecycleOptions {
  config: Pick<TurboConfig, 'health' | 'shutdownTimeoutMs'>;
  logger: Logger;
  /** @defaultValue process.exit */
  exit?: (code: number) => void;
}

/**
 * The life of one `turbostream` process around its services: the health
 * endpoints and `/metrics` (when `config.health.port` > 0; one registry,
 * `metrics`, for every service of the process), the first SIGINT/SIGTERM
 * (readiness fails at once; a watchdog exits the process should closing
 * outlast `shutdownTimeoutMs` + {@link FORCE_EXIT_GRACE_MS}), and the stop.
 * A second signal exits at once (see `untilSignal`).
 */
export class ProcessLifecycle {
  readonly #options: ProcessLifecycleOptions;
  readonly #logger: Logger;
  readonly #health: HealthServer | undefined;
  /** The process's metrics: its services count into them, `/metrics` serves them. */
  readonly metrics = new TurboMetrics({ processMetrics: true });
  #stopRequested: Promise<NodeJS.Signals> | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ProcessLifecycleOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const { port, host } = options.config.health;
    this.#health =
      port > 0 ? new HealthServer({ port, host, logger: options.logger, metrics: this.metrics }) : undefined;
  }

  /** Catches SIGINT/SIGTERM from now on, and serves the health endpoints (not ready yet). */
  async start(): Promise<void> {
    this.#stopRequested ??= untilSignal().then((signal) => {
      this.#beginStop();
      return signal;
    });
    if (!this.#health) return;
    const { host, port } = this.#options.config.health;
    try {
      await this.#health.start();
    } catch (error) {
      throw new UsageError(
        `cannot serve the health endpoints on ${host}:${port} ` +
          `(HEALTH_HOST/HEALTH_PORT): ${error instanceof Error ? error.message : String(error)}`,
        1,
      );
    }
  }

  /** Resolves with the first SIGINT/SIGTERM; by then readiness already fails. */
  stopRequested(): Promise<NodeJS.Signals> {
    if (!this.#stopRequested) throw new Error('ProcessLifecycle.start() was not called');
    return this.#stopRequested;
  }

  /** The services are up: readiness now follows `redis` answering PING (and not draining). */
  started(redis: PingableRedis): void {
    this.#health?.addCheck('redis', redisReadiness(redis));
    this.#health?.setStarted();
  }

  /**
   * Runs `closeServices` (which should finish in-flight work within
   * `shutdownTimeoutMs`), then closes the health endpoints. Idempotent.
   */
  stop(closeServices: () => Promise<void>): Promise<void> {
    this.#stopping ??= this.#stop(closeServices);
    return this.#stopping;
  }

  async #stop(closeServices: () => Promise<void>): Promise<void> {
    this.#beginStop();
    try {
      await closeServices();
    } catch (err) {
      this.#logger.error({ err }, 'services did not close cleanly');
    }
    try {
      await this.#health?.close();
    } catch (err) {
      this.#logger.warn({ err }, 'cannot close the health endpoints');
    }
    clearTimeout(this.#watchdog);
  }

  /** Readiness fails from now on, and the process will not outlive the deadline by more than the grace. */
  #beginStop(): void {
    this.#health?.setDraining();
    if (this.#watchdog) return;
    const limitMs = this.#options.config.shutdownTimeoutMs + FORCE_EXIT_GRACE_MS;
    this.#watchdog = setTimeout(() => {
      this.#logger.error({ limitMs }, 'shutdown did not finish in time; exiting anyway');
      this.#logger.flush?.();
      (this.#options.exit ?? process.exit)(1);
    }, limitMs);
    this.#watchdog.unref();
  }
}
