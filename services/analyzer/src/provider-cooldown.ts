import type { ProviderId } from '@turbostream/contracts';
import type { KeyLayout, RedisClient } from '@turbostream/redis';

/** Extends the cooldown only forward: a shorter wait never cuts a longer one short. KEYS: cooldown. ARGV: until, ttl ms. */
const EXTEND = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

/**
 * When a provider answers 429, every analyzer learns until when to leave it
 * alone. Jobs picked up before then are put back (with jitter, so they do not
 * all return at once) without calling the provider, so a backlog does not
 * turn into a burst of requests each time the wait ends.
 */
export class ProviderCooldown {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #random: () => number;

  constructor(options: { redis: RedisClient; keys: KeyLayout; random?: () => number }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#random = options.random ?? Math.random;
  }

  /** Records that `provider` asked us to wait until `until` (epoch ms). */
  async extend(provider: ProviderId, until: number, now: number): Promise<void> {
    await this.#redis.eval(EXTEND, 1, this.#keys.providerCooldown(provider), String(until), String(Math.max(1, until - now)));
  }

  /**
   * When a job for `provider` may call it: `undefined` when it may now, else
   * a time after the cooldown, spread over up to one cooldown length (at most 5 s).
   */
  async delayUntil(provider: ProviderId, now: number): Promise<number | undefined> {
    const until = Number((await this.#redis.get(this.#keys.providerCooldown(provider))) ?? 0);
    if (!(until > now)) return undefined;
    return until + Math.floor(this.#random() * Math.min(until - now, 5_000));
  }
}
