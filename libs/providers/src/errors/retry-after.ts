/** Response headers as `fetch` gives them, or as a plain object. */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Record<string, string | readonly string[] | undefined>
  | undefined;

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if ('get' in headers && typeof headers.get === 'function') return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

/** Parses OpenAI-style reset durations: `20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`. */
export function parseResetDuration(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1_000;
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const amount = Number(match[1]);
    const unit = match[2];
    total +=
      unit === 'ms' ? amount : unit === 's' ? amount * 1_000 : unit === 'm' ? amount * 60_000 : amount * 3_600_000;
  }
  return total;
}

/**
 * How long the provider asks us to wait, in milliseconds, from the first of:
 * `retry-after-ms`; `retry-after` as seconds or as an HTTP date; the larger of
 * `x-ratelimit-reset-requests` and `x-ratelimit-reset-tokens`. `undefined`
 * when none is present and valid.
 */
export function parseRetryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const milliseconds = headerValue(headers, 'retry-after-ms');
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Math.ceil(Number(milliseconds));

  const retryAfter = headerValue(headers, 'retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1_000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }

  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((name) => headerValue(headers, name))
    .map((value) => (value === undefined ? undefined : parseResetDuration(value)))
    .filter((value): value is number => value !== undefined);
  return resets.length > 0 ? Math.ceil(Math.max(...resets)) : undefined;
}
