export interface BackoffOptions {
  /** The ceiling of the first delay, in milliseconds. */
  initialMs: number;
  /** No delay is ever longer than this, in milliseconds. */
  maxMs: number;
}

/**
 * Capped exponential backoff with full jitter: a delay drawn uniformly from
 * `[0, min(maxMs, initialMs × 2^attempt))`. Jitter spreads the reconnects of
 * many clients after an outage instead of having them retry in lockstep.
 *
 * @param attempt - 0 for the first retry, then 1, 2, …
 * @param random - a source of numbers in `[0, 1)`; injectable for tests.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(attempt, options);
  return Math.min(ceiling, Math.floor(random() * ceiling));
}

/** The upper bound of {@link backoffDelay} for an attempt. */
export function backoffCeiling(attempt: number, { initialMs, maxMs }: BackoffOptions): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 40);
  return Math.min(maxMs, initialMs * 2 ** exponent);
}
