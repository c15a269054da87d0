import { type HeaderSource, headerValue } from '../errors/retry-after.js';

/** The limits Anthropic reports as `anthropic-ratelimit-<limit>-remaining` / `-reset`. */
const LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

function millisecondsUntil(timestamp: string, now: number): number | undefined {
  const at = Date.parse(timestamp.trim());
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil(at - now));
}

/**
 * How long to wait, from Anthropic's own rate-limit headers: each
 * `anthropic-ratelimit-*-reset` is an RFC 3339 time at which that limit is
 * replenished. The wait is the latest reset among the exhausted limits
 * (`-remaining: 0`), or among all limits when none says it is exhausted.
 * `undefined` when no reset header is present and valid.
 */
export function parseAnthropicResetMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const limits = LIMITS.flatMap((limit) => {
    const reset = headerValue(headers, `anthropic-ratelimit-${limit}-reset`);
    const waitMs = reset === undefined ? undefined : millisecondsUntil(reset, now);
    if (waitMs === undefined) return [];
    return [{ waitMs, exhausted: headerValue(headers, `anthropic-ratelimit-${limit}-remaining`)?.trim() === '0' }];
  });
  if (limits.length === 0) return undefined;
  const exhausted = limits.filter((limit) => limit.exhausted);
  return Math.max(...(exhausted.length > 0 ? exhausted : limits).map((limit) => limit.waitMs));
}
