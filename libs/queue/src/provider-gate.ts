import type { ProviderId } from '@turbostream/contracts';
import type { KeyLayout, RedisClient } from '@turbostream/redis';

// One hash per provider (a single key, so Redis Cluster takes it): `until` (no call before it), and while a
// probe is out, `probe` (its lease end) and `owner`. No key: the provider is not rate-limited. Times are Redis's.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: owner, lease ms, poll ms. Returns 0 (call), -1 (call: you are the probe) or the ms to wait. */
const ADMIT = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${NOW}
local wait = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') - now
if wait > 0 then return wait end
wait = tonumber(redis.call('HGET', KEYS[1], 'probe') or '0') - now
if wait > 0 then return math.min(wait, tonumber(ARGV[3])) end
redis.call('HSET', KEYS[1], 'probe', now + tonumber(ARGV[2]), 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return -1`;

/** ARGV: wait ms, owner ('' for none), lease ms. Moves `until` only forward; a probe that got the 429 is over. */
const LIMITED =
  `${NOW}
local untilMs = now + tonumber(ARGV[1])
if untilMs > tonumber(redis.call('HGET', KEYS[1], 'until') or '0') then ` +
  `redis.call('HSET', KEYS[1], 'until', untilMs) end
if redis.call('HGET', KEYS[1], 'owner') == ARGV[2] then redis.call('HDEL', KEYS[1], 'probe', 'owner') end
local ttl = tonumber(ARGV[1]) + 2 * tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;

/** ARGV: owner, '1' when the provider answered (the limit is over), '0' when the probe ended without an answer. */
const SETTLE = `if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) else redis.call('HDEL', KEYS[1], 'probe', 'owner') end
return 1`;

/**
 * Which calls a rate-limited provider may get, shared by every analyzer in
 * Redis: none until its Retry-After has passed, then one probe at a time
 * until one is answered without a 429.
 */
export class ProviderGate {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #leaseMs: number;
  readonly #pollMs: number;

  /** `leaseMs`: how long a probe may take before another job may probe (a crashed analyzer's). */
  constructor(options: { redis: RedisClient; keys: KeyLayout; leaseMs: number; pollMs?: number }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#leaseMs = options.leaseMs;
    this.#pollMs = options.pollMs ?? 250;
  }

  /** 0: call the provider; `'probe'`: call it as the one probe; else the ms to wait without calling it. */
  async admit(provider: ProviderId, owner: string): Promise<number | 'probe'> {
    const wait = Number(
      await this.#redis.eval(ADMIT, 1, this.#keys.providerCooldown(provider), owner, this.#leaseMs, this.#pollMs),
    );
    return wait === -1 ? 'probe' : wait;
  }

  /** The provider answered 429 and asked for `waitMs`; `owner` is the probe that got it, if one did. */
  async limited(provider: ProviderId, waitMs: number, owner = ''): Promise<void> {
    await this.#redis.eval(
      LIMITED,
      1,
      this.#keys.providerCooldown(provider),
      Math.max(1, Math.ceil(waitMs)),
      owner,
      this.#leaseMs,
    );
  }

  /** The probe `owner` ended: `answered` lifts the limit; otherwise the next job probes. */
  async settle(provider: ProviderId, owner: string, answered: boolean): Promise<void> {
    await this.#redis.eval(SETTLE, 1, this.#keys.providerCooldown(provider), owner, answered ? '1' : '0');
  }
}
