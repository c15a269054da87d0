import { readFileSync } from 'node:fs';

/** The Node flags in a script's `#!/usr/bin/env -S node …` line (none when it has none). */
export function shebangNodeFlags(scriptPath: string): string[] {
  const first = readFileSync(scriptPath, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!.*\bnode((?:\s+--?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return match?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}
