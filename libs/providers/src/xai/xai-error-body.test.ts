import { describe, expect, it } from 'vitest';
import { mapHttpError } from '../errors/map-http-error.js';
import { xaiErrorBody } from './xai-error-body.js';

describe('xaiErrorBody', () => {
  it("reads xAI's error string as the message", () => {
    expect(xaiErrorBody('Incorrect API key provided: xa***yz.')).toEqual({
      message: 'Incorrect API key provided: xa***yz.',
    });
    const error = mapHttpError({
      provider: 'xai',
      status: 429,
      body: xaiErrorBody('Too many requests'),
      headers: { 'retry-after': '2' },
    });
    expect(error).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 2000,
      message: 'xai answered HTTP 429: Too many requests',
    });
  });

  it('marks exhausted credits as a quota error, which is permanent', () => {
    const body = xaiErrorBody(
      'Your team abc has either used all available credits or reached its monthly spending limit.',
    );
    expect(body).toMatchObject({ code: 'insufficient_quota' });
    expect(mapHttpError({ provider: 'xai', status: 429, body }).kind).toBe('permanent');
  });

  it('passes OpenAI-shaped bodies through', () => {
    const body = { message: 'bad request', type: 'invalid_request_error' };
    expect(xaiErrorBody(body)).toBe(body);
  });
});
