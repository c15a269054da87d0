import type { StreamConfig } from '@turbostream/config';
import { type AnalysisTarget, formatTargets, type TargetSamples } from '@turbostream/contracts';
import { type KeyLayout, parseTargetOverride, type RedisClient } from '@turbostream/redis';

export interface CurrentTargets {
  targets: AnalysisTarget[];
  /** The comparison targets' samples below 1, if any. */
  samples: TargetSamples | undefined;
  /** True when set while running (`turbostream streams set`). */
  overridden: boolean;
}

/**
 * Every stream's targets set while running, as stored JSON by stream id: the
 * override hash read at most once per `cacheMs` for all the windower's streams
 * (one command however many streams it windows), concurrent readers sharing a read.
 */
export class TargetOverrides {
  readonly #options: { redis: RedisClient; keys: KeyLayout; clock: () => number; cacheMs: number };
  #cached: { at: number; overrides: Promise<Map<string, string>> } | undefined;

  constructor(options: { redis: RedisClient; keys: KeyLayout; clock: () => number; cacheMs?: number }) {
    this.#options = { ...options, cacheMs: options.cacheMs ?? 1_000 };
  }

  get keys(): KeyLayout {
    return this.#options.keys;
  }

  /** The stored override of every stream that has one, unparsed. */
  read(): Promise<Map<string, string>> {
    const { redis, keys, clock, cacheMs } = this.#options;
    const now = clock();
    if (this.#cached && now - this.#cached.at < cacheMs) return this.#cached.overrides;
    const overrides = redis.hgetall(keys.streamTargets).then((all) => new Map(Object.entries(all)));
    const cached = { at: now, overrides };
    this.#cached = cached;
    overrides.catch(() => {
      if (this.#cached === cached) this.#cached = undefined;
    });
    return overrides;
  }
}

/**
 * A stream's analysis targets: those set while running when there are some,
 * else the streams file's. Read from the shared {@link TargetOverrides}, so a
 * change takes effect from the next window on without a restart.
 */
export class StreamTargetSource {
  readonly #overrides: TargetOverrides;
  readonly #stream: StreamConfig;
  /** The last override parsed, by its stored JSON: parsed again only when it changes. */
  #parsed: { json: string; value: CurrentTargets } | undefined;

  constructor(options: { overrides: TargetOverrides; stream: StreamConfig }) {
    this.#overrides = options.overrides;
    this.#stream = options.stream;
  }

  /** The targets in force; throws when the stream's stored override is invalid (saying how to clear it). */
  async current(): Promise<CurrentTargets> {
    const json = (await this.#overrides.read()).get(this.#stream.id);
    if (json === undefined) return { targets: this.#stream.targets, samples: this.#stream.samples, overridden: false };
    if (this.#parsed?.json !== json) {
      const override = parseTargetOverride(this.#overrides.keys, this.#stream.id, json);
      this.#parsed = { json, value: { targets: override.targets, samples: override.samples, overridden: true } };
    }
    return this.#parsed.value;
  }
}

/** True when two target lists name the same providers and models in the same order, with the same samples. */
export function sameTargets(
  left: readonly AnalysisTarget[],
  right: readonly AnalysisTarget[],
  leftSamples?: TargetSamples,
  rightSamples?: TargetSamples,
): boolean {
  return (
    left.length === right.length &&
    left.every((target, index) => target.provider === right[index]?.provider && target.model === right[index]?.model) &&
    formatTargets(left, leftSamples) === formatTargets(right, rightSamples)
  );
}

export function describeTargets(targets: readonly AnalysisTarget[], samples?: TargetSamples): string {
  return formatTargets(targets, samples);
}
