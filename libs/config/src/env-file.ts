import { existsSync, readFileSync } from 'node:fs';
import dotenv from 'dotenv';
import type { ConfigProblem } from './types.js';

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/;

/**
 * What is wrong with a line that is not `KEY=value`, without echoing it: a
 * line of an env file is often a key pasted without its name, or a name and
 * its key without the `=`. Only a leading variable name is shown.
 */
function malformedLine(line: string): string {
  const name = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s/.exec(line)?.[1];
  return name
    ? `expected KEY=value, got a line starting with ${name} and no "=" (the rest is not shown)`
    : 'expected KEY=value (the line is not shown: it may hold a secret)';
}

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
      problems.push({ source: fileName, field: `line ${index + 1}`, message: malformedLine(trimmed) });
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

/**
 * Where an env file was named, for the problem a missing one causes: `TURBOSTREAM_ENV_FILE` (the environment) or a
 * caller's option.
 */
export interface EnvFileOrigin {
  source: string;
  field: string;
}

function readProblem(error: unknown, displayName: string, origin: EnvFileOrigin | undefined): ConfigProblem {
  const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
  const reason =
    `${code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`}: expected a readable env ` +
    `file of KEY=value lines`;
  return origin
    ? { ...origin, message: `${displayName} ${reason}` }
    : { source: displayName, field: '', message: reason };
}

/**
 * Reads an env file. A missing file is fine when it is the default one
 * (`env.local` is optional), and a problem naming the file when `namedBy`
 * says where it was asked for (`TURBOSTREAM_ENV_FILE`).
 */
export function readEnvFile(path: string, displayName: string, namedBy?: EnvFileOrigin): EnvFile {
  if (!existsSync(path)) {
    const problems = namedBy
      ? [
          {
            ...namedBy,
            message:
              `${displayName} does not exist: expected an env file there (or unset ${namedBy.field} to ` +
              `use the default env.local)`,
          },
        ]
      : [];
    return { path, exists: false, values: {}, problems };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { path, exists: true, values: {}, problems: [readProblem(error, displayName, namedBy)] };
  }
  return { path, exists: true, values: dotenv.parse(text), problems: checkEnvFileSyntax(text, displayName) };
}
