import { redactUrlCredentials } from '@turbostream/contracts';
import type { z } from 'zod';
import type { ConfigProblem } from './types.js';

/** Formats a zod path as people write it: `streams[0].window.maxMessages`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let result = '';
  for (const part of path) {
    if (typeof part === 'number') result += `[${part}]`;
    else result += result === '' ? String(part) : `.${String(part)}`;
  }
  return result;
}

/**
 * A value as a problem echoes it, short, with the credentials of any URL in it
 * masked (`"https://:****@host"`) before it is cut, so that no part of one shows.
 */
function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  const json = JSON.stringify(input, (_key, value: unknown) =>
    typeof value === 'string' ? redactUrlCredentials(value) : value,
  );
  if (json === undefined) return redactUrlCredentials(String(input));
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * Turns zod issues into problems that name the source, the field and what is
 * expected. `sourceOf` names where a top-level field came from; `isSecret`
 * hides the values of secret fields.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  sourceOf: (field: string) => string,
  isSecret: (field: string) => boolean = () => false,
  rawValueOf?: (field: string) => unknown,
): ConfigProblem[] {
  return issues.map((issue) => {
    const top = String(issue.path[0] ?? '');
    if (issue.code === 'unrecognized_keys') {
      const base = formatPath(issue.path);
      return {
        source: sourceOf(top),
        field: base === '' ? issue.keys.join(', ') : `${base}.${issue.keys.join(', ')}`,
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} (check the spelling)`,
      };
    }
    const input = rawValueOf ? rawValueOf(top) : issue.input;
    const shown = isSecret(top) ? '' : ` (got ${describeInput(input)})`;
    return {
      source: sourceOf(top),
      field: formatPath(issue.path),
      message: `${issue.message}${rawValueOf || 'input' in issue ? shown : ''}`,
    };
  });
}

/**
 * One line per problem: `streams.yaml: streams[0].window.maxMessages: expected a message count (got "abc")`.
 * URL credentials in a message are masked here too, whichever check wrote it.
 */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((problem) => `  ${formatProblem(problem)}`).join('\n');
}

/** One problem as `source: field: message`, URL credentials masked. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.source}: ${problem.field ? `${problem.field}: ` : ''}${redactUrlCredentials(problem.message)}`;
}

/** Thrown when the configuration cannot be used; its message lists every problem. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration:\n${formatProblems(problems)}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
