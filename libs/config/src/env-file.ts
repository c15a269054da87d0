import { existsSync, readFileSync } from 'node:fs';
import dotenv from 'dotenv';
import type { ConfigProblem } from './types.js';

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/;

/**
 * Checks that every line of an env file is blank, a comment or `KEY=value`
 * (a quoted value may span lines), so a typo is reported instead of ignored.
 */
export function checkEnvFileSyntax(text: string, fileName: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let openQuote: string | undefined;
  text.split(/\r?\n/).forEach((line, index) => {
    if (openQuote) {
      if (line.includes(openQuote)) openQuote = undefined;
      return;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      problems.push({ source: fileName, field: `line ${index + 1}`, message: `expected KEY=value, got ${JSON.stringify(trimmed.slice(0, 40))}` });
      return;
    }
    const value = (match[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && value.indexOf(quote, 1) === -1) openQuote = quote;
  });
  return problems;
}

export interface EnvFile {
  path: string;
  exists: boolean;
  values: Record<string, string>;
  problems: ConfigProblem[];
}

/** Reads an env file (a missing file is fine: it is optional). */
export function readEnvFile(path: string, displayName: string): EnvFile {
  if (!existsSync(path)) return { path, exists: false, values: {}, problems: [] };
  const text = readFileSync(path, 'utf8');
  return { path, exists: true, values: dotenv.parse(text), problems: checkEnvFileSyntax(text, displayName) };
}
