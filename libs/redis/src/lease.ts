import type { RedisClient } from './connection.js';

const RENEW =
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
    return this.renew();
  }

  /** Extends the lease if we still hold it. False when it was lost. */
  async renew(): Promise<boolean> {
    const renewed = await this.#redis.eval(RENEW, 1, this.#key, this.#owner, String(this.#ttlMs));
    return renewed === 1;
  }

  /** Gives the lease up if we hold it, so another owner can take over at once. */
  async release(): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#key, this.#owner);
  }
}
