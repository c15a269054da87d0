import { describe, expect, it } from 'vitest';
import { assertNever } from './assert-never.js';
import { formatTarget } from './target.js';

describe('formatTarget', () => {
  it('writes a target as provider/model, the way users type it', () => {
    expect(formatTarget({ provider: 'ollama', model: 'llama3:8b' })).toBe('ollama/llama3:8b');
  });
});

describe('assertNever', () => {
  it('throws a TypeError naming what it did not expect', () => {
    expect(() => assertNever('odd' as never, 'stream entry')).toThrow(new TypeError('unexpected stream entry: "odd"'));
  });
});
