import type { RedisClient } from './connection.js';

/** Extends the lease only if it is ours: what a standby's attempt to take it does when it is held. */
const EXTEND_OURS =
  `if redis.call('GET', KEYS[1]) == ARGV[1] then ` + `return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A lease on a Redis key: at most one owner at a time, lost when the owner
 * stops renewing it before `ttlMs` runs out. Used to give each stream one
 * windower at a time, with failover.
 */
export class Lease {
  readonly #redis: RedisClient;
  readonly #key: string;
  readonly #owner: string;
  readonly #ttlMs: number;

  constructor(options: { redis: RedisClient; key: string; owner: string; ttlMs: number }) {
    this.#redis = options.redis;
    this.#key = options.key;
    this.#owner = options.owner;
    this.#ttlMs = options.ttlMs;
  }

  get key(): string {
    return this.#key;
  }

  get owner(): string {
    return this.#owner;
  }

  /** Takes the lease if it is free (or already ours, renewing it). True when we hold it. */
  async acquire(): Promise<boolean> {
    const taken = await this.#redis.set(this.#key, this.#owner, 'PX', this.#ttlMs, 'NX');
    if (taken === 'OK') return true;
    // Checked before extending: a standby trying every few seconds must never keep a dead owner's lease alive.
    return (await this.#redis.eval(EXTEND_OURS, 1, this.#key, this.#owner, String(this.#ttlMs))) === 1;
  }

  /**
   * Extends the lease we hold; false when it was lost. One command (`GETEX`, Redis 6.2+), where a script that checks
   * first costs three (the script and the two it runs): every owned stream renews its lease every third of its time
   * to live, quiet or not. When the lease was lost to another owner in the meantime, that owner's lease is extended
   * once by `ttlMs` (it holds the key and renews it itself; only its failover, if it dies right then, waits that much
   * longer), and the loss is reported as before.
   */
  async renew(): Promise<boolean> {
    return (await this.#redis.getex(this.#key, 'PX', this.#ttlMs)) === this.#owner;
  }

  /** Gives the lease up if we hold it, so another owner can take over at once. */
  async release(): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#key, this.#owner);
  }
}
