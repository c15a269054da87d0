import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatProblems, issuesToProblems } from './problems.js';

const Schema = z.object({
  REDIS_URL: z.string().refine((value) => value.startsWith('redis://'), { error: 'expected a redis:// URL' }),
  SOURCES: z.array(z.object({ url: z.string().startsWith('wss://', { error: 'expected a wss:// URL' }) })).optional(),
  API_KEY: z.string().min(40, { error: 'expected a longer key' }).optional(),
});

/** The problems of `input`, values echoed as the environment's are (raw values, `API_KEY` secret). */
function problemsOf(input: Record<string, unknown>) {
  const parsed = Schema.safeParse(input, { reportInput: true });
  if (parsed.success) throw new Error('expected problems');
  return issuesToProblems(
    parsed.error.issues,
    () => 'environment',
    (field) => field === 'API_KEY',
    (field) => input[field],
  );
}

describe('issuesToProblems', () => {
  it('echoes a URL with its password as ****', () => {
    expect(problemsOf({ REDIS_URL: 'https://:s3cretPW@127.0.0.1:6452' })).toEqual([
      {
        source: 'environment',
        field: 'REDIS_URL',
        message: 'expected a redis:// URL (got "https://:****@127.0.0.1:6452")',
      },
    ]);
  });

  it('masks credentials before cutting a long value short, so no part of a password shows', () => {
    const url = `https://${'x'.repeat(40)}:pw-tail-S3cret@127.0.0.1:6452`;
    const [problem] = problemsOf({ REDIS_URL: url });
    expect(problem?.message).toBe(`expected a redis:// URL (got "https://${'x'.repeat(40)}:****@12...)`);
    expect(problem?.message).not.toMatch(/pw-|S3cret/);
  });

  it('masks URL credentials anywhere in an echoed list or object', () => {
    const [problem] = problemsOf({ REDIS_URL: 'redis://h', SOURCES: [{ url: 'https://u:pw-1@feed' }] }).filter(
      (candidate) => candidate.field !== 'REDIS_URL',
    );
    expect(problem).toEqual({
      source: 'environment',
      field: 'SOURCES[0].url',
      message: 'expected a wss:// URL (got [{"url":"https://u:****@feed"}])',
    });
  });

  it('echoes nothing of a secret variable', () => {
    expect(problemsOf({ REDIS_URL: 'redis://h', API_KEY: 'sk-short' })).toEqual([
      { source: 'environment', field: 'API_KEY', message: 'expected a longer key' },
    ]);
  });
});

describe('formatProblems', () => {
  it('masks URL credentials in any problem, whichever check wrote it', () => {
    expect(
      formatProblems([
        { source: 'env.local', field: 'line 3', message: 'expected KEY=value, got "redis://:pw-1@db:6379"' },
      ]),
    ).toBe('  env.local: line 3: expected KEY=value, got "redis://:****@db:6379"');
  });
});
