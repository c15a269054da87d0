import type { Logger } from '@turbostream/logging';
import type { Lease } from '@turbostream/redis';

export interface StreamOwnershipOptions {
  lease: Lease;
  ttlMs: number;
  clock: () => number;
  logger: Logger;
  /** Called once each time ownership ends without `release()`. */
  onLost: () => void;
}

/**
 * This instance's hold on one stream: takes the lease, renews it every third
 * of its time to live, and gives the stream up the moment the lease is taken
 * by someone else or cannot have been renewed in time. Every change bumps an
 * epoch, so work begun under an old ownership can tell it is stale.
 */
export class StreamOwnership {
  readonly #lease: Lease;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #onLost: () => void;
  #owned = false;
  #epoch = 0;
  #renewedAt = 0;
  #renewing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: StreamOwnershipOptions) {
    this.#lease = options.lease;
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#onLost = options.onLost;
  }

  get owned(): boolean {
    return this.#owned;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** True while the ownership begun at `epoch` lasts and the lease cannot have expired. */
  holds(epoch: number): boolean {
    return this.#owned && epoch === this.#epoch && this.#clock() - this.#renewedAt < this.#ttlMs;
  }

  /** Takes the lease if it is free. True when this instance now owns the stream. */
  async acquire(): Promise<boolean> {
    if (this.#owned) return true;
    const before = this.#clock();
    if (!(await this.#lease.acquire())) return false;
    this.#epoch += 1;
    this.#owned = true;
    this.#renewedAt = before;
    this.#timer ??= setInterval(() => void this.#renew(), Math.max(10, Math.floor(this.#ttlMs / 3)));
    this.#logger.info({ owner: this.#lease.owner }, 'took ownership of stream');
    return true;
  }

  /** Gives the stream up: stops at once, then deletes the lease so another windower can take over. */
  async release(): Promise<void> {
    this.#stopRenewing();
    if (!this.#owned) return;
    this.#owned = false;
    this.#epoch += 1;
    await this.#lease.release();
    this.#logger.info('released stream');
  }

  /** Stops working the stream at once (e.g. when a fenced write was refused). */
  lose(reason: string, err?: unknown): void {
    if (!this.#owned) return;
    this.#owned = false;
    this.#epoch += 1;
    this.#logger.warn({ reason, err }, 'lost ownership of stream; stopped windowing it');
    this.#onLost();
  }

  async #renew(): Promise<void> {
    if (!this.#owned || this.#renewing) return;
    this.#renewing = true;
    const epoch = this.#epoch;
    const before = this.#clock();
    try {
      const held = await this.#lease.renew();
      if (epoch !== this.#epoch) return;
      if (held) this.#renewedAt = before;
      else this.lose('lease taken by another windower');
    } catch (err) {
      if (epoch === this.#epoch && !this.holds(epoch)) this.lose('lease could not be renewed in time', err);
    } finally {
      this.#renewing = false;
    }
  }

  #stopRenewing(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
