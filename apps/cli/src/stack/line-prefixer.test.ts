import { describe, expect, it } from 'vitest';
import { childPrefix, LinePrefixer } from './line-prefixer.js';

describe('LinePrefixer', () => {
  it('prefixes every complete line and keeps a partial one until it ends', () => {
    const written: string[] = [];
    const prefixer = new LinePrefixer('[analyzer-2] ', (text) => written.push(text));
    prefixer.push('first\nsec');
    expect(written).toEqual(['[analyzer-2] first\n']);
    prefixer.push(Buffer.from('ond\r\nthird\n'));
    expect(written.join('')).toBe('[analyzer-2] first\n[analyzer-2] second\n[analyzer-2] third\n');
  });

  it('writes an unfinished last line on flush, once', () => {
    const written: string[] = [];
    const prefixer = new LinePrefixer('[ingest] ', (text) => written.push(text));
    prefixer.push('no newline');
    expect(written).toEqual([]);
    prefixer.flush();
    prefixer.flush();
    expect(written).toEqual(['[ingest] no newline\n']);
  });
});

describe('childPrefix', () => {
  it('is plain without a terminal and coloured with one', () => {
    expect(childPrefix('windower', 0, false)).toBe('[windower] ');
    expect(childPrefix('windower', 0, true)).toBe('\u001b[36m[windower]\u001b[0m ');
  });
});
