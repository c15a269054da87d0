import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { serializeError } from './redact-error.js';

/** An error like the one ioredis rejects with when the server refuses AUTH. */
function authError(...args: string[]): Error {
  return Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
    name: 'ReplyError',
    command: { name: 'auth', args },
  });
}

function capture(format: 'json' | 'pretty') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { logger: createLogger({ format, destination: stream }), text: () => text };
}

describe('serializeError', () => {
  it('shows an error as pino does, with the AUTH arguments masked', () => {
    expect(serializeError(authError('user', 'pw-1'))).toMatchObject({
      type: 'Error',
      message: 'WRONGPASS invalid username-password pair or user is disabled.',
      stack: expect.stringContaining('WRONGPASS'),
      command: { name: 'auth', args: ['****', '****'] },
    });
  });

  it('passes what is not an error through the same redaction', () => {
    expect(serializeError('no redis at redis://:pw-1@db')).toBe('no redis at redis://:****@db');
    expect(serializeError({ command: { name: 'auth', args: ['pw-1'] } })).toEqual({
      command: { name: 'auth', args: ['****'] },
    });
  });
});

describe('createLogger', () => {
  it('logs no password of a refused AUTH, in either format, however the error is passed', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { logger, text } = capture(format);
      const cluster = Object.assign(new Error('Failed to refresh slots cache.', { cause: authError('pw-2') }), {
        lastNodeError: authError('user', 'pw-3'),
      });
      logger.warn({ err: authError('pw-1') }, 'redis connection error');
      logger.child({ service: 'analyzer' }).error(cluster, 'cannot start');
      logger.warn({ err: new Error('cannot reach redis://app:pw-4@db:6379') }, 'redis down');
      expect(text(), format).toContain('WRONGPASS');
      expect(text(), format).toContain('redis://app:****@db:6379');
      expect(text(), format).not.toMatch(/pw-\d/);
    }
  });
});
