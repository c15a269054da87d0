import { describe, expect, it } from 'vitest';
import {
  carriesCredentials,
  REDACTED,
  redactCommandArgs,
  redactSecrets,
  redactUrlCredentials,
  scrubError,
} from './redact-secrets.js';

/** An error like the one ioredis rejects with when the server refuses AUTH. */
function authError(...args: unknown[]): Error & { command: { name: string; args: unknown[] } } {
  return Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
    name: 'ReplyError',
    command: { name: 'auth', args },
  });
}

describe('redactUrlCredentials', () => {
  it('masks the password of a URL, keeping the user, host and everything else', () => {
    expect(redactUrlCredentials('redis://app:s3cret@db.example.com:6379/0')).toBe(
      'redis://app:****@db.example.com:6379/0',
    );
    expect(redactUrlCredentials('https://:s3cretPW@127.0.0.1:6452')).toBe('https://:****@127.0.0.1:6452');
    expect(redactUrlCredentials('wss://feed.example.com/ws?x=1')).toBe('wss://feed.example.com/ws?x=1');
  });

  it('masks a bare token in place of a user, and a password written without a scheme', () => {
    expect(redactUrlCredentials('https://ghp_token123@github.com/x')).toBe('https://****@github.com/x');
    expect(redactUrlCredentials('app:s3cret@db:6379')).toBe('app:****@db:6379');
    expect(redactUrlCredentials('REDIS_URL=:s3cret@db:6379')).toBe('REDIS_URL=:****@db:6379');
  });

  it('finds every URL in a text, each of a comma-separated list of seed nodes too', () => {
    expect(redactUrlCredentials('cannot reach redis://:a1@h1:1,rediss://u:b2@h2:2 or "https://c3@h3"')).toBe(
      'cannot reach redis://:****@h1:1,rediss://u:****@h2:2 or "https://****@h3"',
    );
  });

  it(
    'masks up to the last @ of the authority, so an unencoded @, / or # in a password does not leave part of ' + 'it',
    () => {
      expect(redactUrlCredentials('redis://:p@ss@db:6379')).toBe('redis://:****@db:6379');
      expect(redactUrlCredentials('redis://:pa/ss#w@db:6379')).toBe('redis://:****@db:6379');
    },
  );

  it('leaves texts without credentials alone, e-mail addresses included', () => {
    const frame = '    at run (file:///app/node_modules/@scope/pkg/dist/index.js:3:7)';
    for (const text of [
      'WRONGPASS invalid username-password pair',
      'mail ops@example.com',
      'redis://127.0.0.1:6379',
      'https://@host',
      frame,
      '',
    ]) {
      expect(redactUrlCredentials(text)).toBe(text);
    }
  });

  it('takes time in proportion to the length of a text, however it is made', () => {
    for (const text of [
      'a.'.repeat(50_000),
      `http://${'a-'.repeat(50_000)}`,
      '=:'.repeat(50_000),
      '(:'.repeat(50_000),
    ]) {
      const start = performance.now();
      redactUrlCredentials(`${text}@`);
      expect(performance.now() - start, text.slice(0, 10)).toBeLessThan(2_000);
    }
  });
});

describe('redactCommandArgs', () => {
  it('masks every argument of AUTH, and only the credentials of HELLO and MIGRATE', () => {
    expect(redactCommandArgs('auth', ['pw'])).toEqual([REDACTED]);
    expect(redactCommandArgs('AUTH', ['user', 'pw'])).toEqual([REDACTED, REDACTED]);
    expect(redactCommandArgs('hello', ['3', 'AUTH', 'user', 'pw', 'SETNAME', 'x'])).toEqual([
      '3',
      'AUTH',
      REDACTED,
      REDACTED,
      'SETNAME',
      'x',
    ]);
    expect(redactCommandArgs('migrate', ['h', '6379', 'k', '0', '5000', 'AUTH', 'pw', 'KEYS', 'a'])).toEqual([
      'h',
      '6379',
      'k',
      '0',
      '5000',
      'AUTH',
      REDACTED,
      'KEYS',
      'a',
    ]);
    expect(redactCommandArgs('migrate', ['h', '6379', '', '0', '5000', Buffer.from('auth2'), 'user', 'pw'])).toEqual([
      'h',
      '6379',
      '',
      '0',
      '5000',
      Buffer.from('auth2'),
      REDACTED,
      REDACTED,
    ]);
  });

  it('keeps the subcommand of ACL and CONFIG, and copies other commands as they are', () => {
    expect(redactCommandArgs('config', ['SET', 'requirepass', 'pw'])).toEqual(['SET', REDACTED, REDACTED]);
    expect(redactCommandArgs('acl', ['SETUSER', 'app', '>pw'])).toEqual(['SETUSER', REDACTED, REDACTED]);
    const args = ['stream', '*', 'data', 'x'];
    expect(redactCommandArgs('xadd', args)).toEqual(args);
    expect(redactCommandArgs('xadd', args)).not.toBe(args);
  });

  it('names the commands that carry credentials', () => {
    expect(['auth', 'HELLO', 'migrate', 'acl', 'config'].every(carriesCredentials)).toBe(true);
    expect(['xadd', 'get', 'evalsha'].some(carriesCredentials)).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('masks the command of a reply error, URL credentials in any text, and fields named like secrets', () => {
    const error = Object.assign(authError('user', 'pw-1'), {
      options: { host: 'db', password: 'pw-2', sentinelPassword: 'pw-3' },
      input: 'redis://u:pw-4@db',
    });
    const redacted = redactSecrets({ err: error, msg: 'from redis://:pw-5@db', apiKey: 'pw-6' });
    expect(JSON.stringify(redacted)).not.toMatch(/pw-\d/);
    expect(redacted).toMatchObject({
      err: {
        type: 'ReplyError',
        message: error.message,
        command: { name: 'auth', args: [REDACTED, REDACTED] },
        options: { host: 'db', password: REDACTED },
        input: 'redis://u:****@db',
      },
      msg: 'from redis://:****@db',
      apiKey: REDACTED,
    });
  });

  it('follows causes, aggregate and previous errors, and cuts cycles', () => {
    const inner = authError('pw-1');
    const outer = new Error('Failed to refresh slots cache.', { cause: inner });
    const pipeline = Object.assign(authError('pw-2'), { previousErrors: [] as Error[] });
    pipeline.previousErrors.push(pipeline, inner);
    const redacted = redactSecrets({ outer, pipeline, all: new AggregateError([inner]) });
    expect(JSON.stringify(redacted)).not.toMatch(/pw-\d/);
    expect(redacted).toMatchObject({
      outer: { cause: { command: { args: [REDACTED] } } },
      pipeline: { previousErrors: ['[Circular]', { command: { args: [REDACTED] } }] },
    });
  });

  it('does not change what it is given, and leaves other values as they are', () => {
    const error = authError('pw-1');
    redactSecrets({ error });
    expect(error.command.args).toEqual(['pw-1']);
    expect(redactSecrets({ n: 1, ok: true, none: null, inputTokens: 5, list: ['a'] })).toEqual({
      n: 1,
      ok: true,
      none: null,
      inputTokens: 5,
      list: ['a'],
    });
  });
});

describe('scrubError', () => {
  it('masks the AUTH arguments of an error and of the errors it wraps, in place', () => {
    const inner = authError('user', 'pw-1');
    const outer = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: inner });
    const pipeline = Object.assign(authError('pw-2'), { previousErrors: [] as Error[] });
    pipeline.previousErrors.push(pipeline);
    expect(scrubError(outer)).toBe(outer);
    scrubError(pipeline);
    expect(inner.command).toEqual({ name: 'auth', args: [REDACTED, REDACTED] });
    expect(pipeline.command.args).toEqual([REDACTED]);
  });

  it('masks URL credentials in the message, the stack and text fields', () => {
    const error = Object.assign(new Error('cannot connect to redis://:pw-1@db:6379'), {
      url: 'redis://u:pw-2@db',
      password: 'pw-3',
    });
    scrubError(new Error('wrapped', { cause: error }));
    expect(error.message).toBe('cannot connect to redis://:****@db:6379');
    expect(error.stack).toContain('redis://:****@db:6379');
    expect(`${error.stack} ${error.url} ${error.password}`).not.toMatch(/pw-\d/);
  });

  it('leaves other commands and what is not an error alone', () => {
    const error = Object.assign(new Error('ERR'), { command: { name: 'get', args: ['key'] } });
    const command = error.command;
    scrubError(error);
    expect(error.command).toBe(command);
    expect(scrubError('text')).toBe('text');
    expect(scrubError(undefined)).toBeUndefined();
  });
});
