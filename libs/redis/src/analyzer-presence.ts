import { AnalyzerInfo, type ProviderId } from '@turbostream/contracts';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.js';
import type { KeyLayout } from './keys.js';

/** How long after its last heartbeat an analyzer still counts as live. */
export const ANALYZER_TTL_MS = 15_000;

export interface AnalyzerPresenceOptions {
  redis: RedisClient;
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

  /**
   * Records the heartbeat. The analyzers hash and each provider's set live in
   * different cluster slots, so each gets its own round trip (sent together).
   */
  async beat(): Promise<void> {
    const { redis, keys, instanceId, providers, concurrency } = this.#options;
    const now = (this.#options.clock ?? Date.now)();
    const info: AnalyzerInfo = {
      v: 1,
      instanceId,
      providers: [...providers],
      concurrency,
      startedAt: this.#startedAt,
      lastSeen: now,
    };
    const writes: Array<Promise<unknown>> = [redis.hset(keys.analyzers, instanceId, JSON.stringify(info))];
    for (const provider of providers) {
      const key = keys.providerAnalyzers(provider);
      writes.push(
        execOrThrow(
          redis
            .pipeline()
            .zadd(key, now, instanceId)
            .zremrangebyscore(key, '-inf', now - 10 * ANALYZER_TTL_MS),
        ),
      );
    }
    await Promise.all(writes);
  }

  /** Stops beating and removes this analyzer at once, so its absence is seen without waiting for the TTL. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const { redis, keys, instanceId, providers } = this.#options;
    try {
      await Promise.all([
        redis.hdel(keys.analyzers, instanceId),
        ...providers.map((provider) => redis.zrem(keys.providerAnalyzers(provider), instanceId)),
      ]);
    } catch (error) {
      this.#options.onError?.(error);
    }
  }
}

/** Runs a pipeline and throws its first command error (`exec` itself only rejects when the pipeline cannot be sent). */
async function execOrThrow(pipeline: ChainableCommander): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** The analyzers that served `provider` within the TTL. */
export async function liveAnalyzers(
  redis: RedisClient,
  keys: KeyLayout,
  provider: ProviderId,
  now: number,
  ttlMs = ANALYZER_TTL_MS,
): Promise<string[]> {
  return redis.zrangebyscore(keys.providerAnalyzers(provider), now - ttlMs, '+inf');
}

/** Every analyzer's latest heartbeat, live or not (callers compare `lastSeen` with the TTL). */
export async function listAnalyzers(redis: RedisClient, keys: KeyLayout): Promise<AnalyzerInfo[]> {
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
