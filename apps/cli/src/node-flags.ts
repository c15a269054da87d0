import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The `turbostream` command as npm links it; its first line holds the CLI's Node flags. */
export const CLI_BIN = fileURLToPath(new URL('../bin/turbostream.js', import.meta.url));

/** The CLI's entry module, run by {@link CLI_BIN} (and by anything that starts the CLI with {@link cliNodeFlags}). */
export const CLI_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The Node flags in a script's `#!/usr/bin/env -S node …` line (none when it has none). */
export function shebangNodeFlags(scriptPath: string): string[] {
  const first = readFileSync(scriptPath, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!.*\bnode((?:\s+--?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return match?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/** The Node flags `turbostream` runs with: whatever starts `node … dist/main.js` itself passes these. */
export function cliNodeFlags(): string[] {
  return shebangNodeFlags(CLI_BIN);
}
