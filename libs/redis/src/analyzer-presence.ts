import { AnalyzerInfo, type ProviderId } from '@turbostream/contracts';
import type { Redis } from 'ioredis';
import type { KeyLayout } from './keys.js';

/** How long after its last heartbeat an analyzer still counts as live. */
export const ANALYZER_TTL_MS = 15_000;

export interface AnalyzerPresenceOptions {
  redis: Redis;
  keys: KeyLayout;
  instanceId: string;
  providers: readonly ProviderId[];
  concurrency: number;
  /** @defaultValue 5000 */
  intervalMs?: number;
  onError?: (error: unknown) => void;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/**
 * An analyzer's heartbeat: every few seconds it records, per provider it
 * serves, that it is alive. Windowers read this to tell a provider that no
 * live analyzer serves (its jobs would wait forever) from one that is busy.
 */
export class AnalyzerPresence {
  readonly #options: AnalyzerPresenceOptions;
  readonly #startedAt = new Date().toISOString();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: AnalyzerPresenceOptions) {
    this.#options = options;
  }

  /** Beats once (so the analyzer is visible at once), then every interval. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => {
      this.beat().catch((error: unknown) => this.#options.onError?.(error));
    }, this.#options.intervalMs ?? 5_000);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    const { redis, keys, instanceId, providers, concurrency } = this.#options;
    const now = (this.#options.clock ?? Date.now)();
    const info: AnalyzerInfo = { v: 1, instanceId, providers: [...providers], concurrency, startedAt: this.#startedAt, lastSeen: now };
    const pipeline = redis.pipeline().hset(keys.analyzers, instanceId, JSON.stringify(info));
    for (const provider of providers) {
      pipeline.zadd(keys.providerAnalyzers(provider), now, instanceId).zremrangebyscore(keys.providerAnalyzers(provider), '-inf', now - 10 * ANALYZER_TTL_MS);
    }
    await pipeline.exec();
  }

  /** Stops beating and removes this analyzer at once, so its absence is seen without waiting for the TTL. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const { redis, keys, instanceId, providers } = this.#options;
    const pipeline = redis.pipeline().hdel(keys.analyzers, instanceId);
    for (const provider of providers) pipeline.zrem(keys.providerAnalyzers(provider), instanceId);
    try {
      await pipeline.exec();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }
}

/** The analyzers that served `provider` within the TTL. */
export async function liveAnalyzers(redis: Redis, keys: KeyLayout, provider: ProviderId, now: number, ttlMs = ANALYZER_TTL_MS): Promise<string[]> {
  return redis.zrangebyscore(keys.providerAnalyzers(provider), now - ttlMs, '+inf');
}

/** Every analyzer's latest heartbeat, live or not (callers compare `lastSeen` with the TTL). */
export async function listAnalyzers(redis: Redis, keys: KeyLayout): Promise<AnalyzerInfo[]> {
  const all = await redis.hgetall(keys.analyzers);
  const result: AnalyzerInfo[] = [];
  for (const json of Object.values(all)) {
    try {
      const parsed = AnalyzerInfo.safeParse(JSON.parse(json));
      if (parsed.success) result.push(parsed.data);
    } catch {
      // a heartbeat that is not JSON is ignored; the next beat rewrites it
    }
  }
  return result.sort((left, right) => left.instanceId.localeCompare(right.instanceId));
}
