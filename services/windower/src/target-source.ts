import type { StreamConfig } from '@turbostream/config';
import { type AnalysisTarget, formatTargets, type TargetSamples } from '@turbostream/contracts';
import { type KeyLayout, readTargetOverride, type RedisClient } from '@turbostream/redis';

export interface CurrentTargets {
  targets: AnalysisTarget[];
  /** The comparison targets' samples below 1, if any. */
  samples: TargetSamples | undefined;
  /** True when set while running (`turbostream streams set`). */
  overridden: boolean;
}

/**
 * A stream's analysis targets: those set while running when there are some,
 * else the streams file's. Read at most once per `cacheMs`, so a change takes
 * effect from the next window on without a restart.
 */
export class StreamTargetSource {
  readonly #options: {
    redis: RedisClient;
    keys: KeyLayout;
    stream: StreamConfig;
    clock: () => number;
    cacheMs: number;
  };
  #cached: { at: number; value: CurrentTargets } | undefined;

  constructor(options: {
    redis: RedisClient;
    keys: KeyLayout;
    stream: StreamConfig;
    clock: () => number;
    cacheMs?: number;
  }) {
    this.#options = { ...options, cacheMs: options.cacheMs ?? 1_000 };
  }

  async current(): Promise<CurrentTargets> {
    const now = this.#options.clock();
    if (this.#cached && now - this.#cached.at < this.#options.cacheMs) return this.#cached.value;
    const override = await readTargetOverride(this.#options.redis, this.#options.keys, this.#options.stream.id);
    const value = override
      ? { targets: override.targets, samples: override.samples, overridden: true }
      : { targets: this.#options.stream.targets, samples: this.#options.stream.samples, overridden: false };
    this.#cached = { at: now, value };
    return value;
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
