import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliNodeFlags, shebangNodeFlags } from './node-flags.js';

describe('shebangNodeFlags', () => {
  const script = (first: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'flags-')), 'main.js');
    writeFileSync(path, `${first}\nconsole.log(1);\n`);
    return path;
  };

  it('reads the flags of an env -S shebang', () => {
    expect(shebangNodeFlags(script('#!/usr/bin/env -S node --max-semi-space-size=16 --enable-source-maps'))).toEqual([
      '--max-semi-space-size=16',
      '--enable-source-maps',
    ]);
  });

  it('finds none in a plain shebang or without one', () => {
    expect(shebangNodeFlags(script('#!/usr/bin/env node'))).toEqual([]);
    expect(shebangNodeFlags(script('console.log(0);'))).toEqual([]);
  });

  it('reads the flags the turbostream command ships with, from bin/turbostream.js', () => {
    expect(cliNodeFlags()).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=100']);
  });
});
