import { describe, expect, it } from 'vitest';
import { mapHttpError } from './map-http-error.js';
import { ProviderError } from './provider-error.js';
import { parseResetDuration, parseRetryAfterMs } from './retry-after.js';

const body = (message: string, type = 'invalid_request_error', code: string | null = null) => ({
  error: { message, type, param: null, code },
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-11-25T20:20:00.000Z');

  it('reads retry-after-ms first, then retry-after as seconds or an HTTP date', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '1500', 'retry-after': '9' }, now)).toBe(1500);
    expect(parseRetryAfterMs(new Headers({ 'Retry-After': '2' }), now)).toBe(2000);
    expect(parseRetryAfterMs({ 'retry-after': 'Tue, 25 Nov 2025 20:20:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfterMs({ 'retry-after': 'Tue, 25 Nov 2025 20:19:00 GMT' }, now)).toBe(0);
  });

  it('falls back to the larger x-ratelimit-reset header', () => {
    expect(parseRetryAfterMs({ 'x-ratelimit-reset-requests': '1.5s', 'x-ratelimit-reset-tokens': '6m0s' }, now)).toBe(
      360_000,
    );
    expect(parseRetryAfterMs({ 'x-ratelimit-reset-tokens': '20ms' }, now)).toBe(20);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseResetDuration('1h2m3s')).toBe(3_723_000);
    expect(parseResetDuration('later')).toBeUndefined();
  });
});

describe('mapHttpError', () => {
  it('maps 429 to rate-limited with the wait asked for', () => {
    const error = mapHttpError({
      provider: 'openai',
      status: 429,
      headers: { 'retry-after': '3' },
      body: body('Rate limit reached', 'requests', 'rate_limit_exceeded'),
    });
    expect(ProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      kind: 'rate-limited',
      isRetryable: true,
      statusCode: 429,
      retryAfterMs: 3000,
      code: 'rate_limit_exceeded',
    });
    expect(error.message).toBe('openai answered HTTP 429: Rate limit reached');
  });

  it('treats a 429 for an exhausted quota as permanent: waiting does not cure it', () => {
    const error = mapHttpError({
      provider: 'openai',
      status: 429,
      body: body('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'),
    });
    expect(error).toMatchObject({ kind: 'permanent', isRetryable: false, retryAfterMs: undefined });
  });

  it('maps 5xx, 408 and 409 to transient and other 4xx to permanent', () => {
    for (const status of [500, 502, 503, 504, 408, 409])
      expect(mapHttpError({ provider: 'openai', status }).kind, String(status)).toBe('transient');
    for (const status of [400, 401, 403, 404, 422])
      expect(mapHttpError({ provider: 'openai', status }).kind, String(status)).toBe('permanent');
  });

  it('never lets a key into the message, even when the provider echoes it', () => {
    const key = 'sk-live-0123456789abcdefghij';
    const error = mapHttpError({
      provider: 'openai',
      status: 401,
      body: body(`Incorrect API key provided: ${key}.`),
      secrets: [key],
    });
    expect(error.message).not.toContain(key);
    expect(error.message).toContain('[redacted]');
    const unknownKey = mapHttpError({
      provider: 'openai',
      status: 400,
      body: { error: { message: 'bad header Bearer abc.def.ghi' } },
    });
    expect(unknownKey.message).not.toContain('abc.def.ghi');
  });

  it('recognises provider errors by marker, not by class identity', () => {
    expect(ProviderError.isInstance(new Error('x'))).toBe(false);
    expect(ProviderError.isInstance({ kind: 'transient' })).toBe(false);
    expect(ProviderError.isInstance(null)).toBe(false);
  });
});
