import type { z } from 'zod';

/**
 * One problem of a corpus file, in libs/config's ConfigProblem shape (`source`, `field`, `message`): `source` is the
 * file and the line (`corpus.jsonl:7`), or the file alone for the file as a whole.
 */
export interface CorpusProblem {
  /** `<file>:<line>`, or `<file>` for a problem of the whole file. */
  source: string;
  /** The field at fault on that line (`label.severity`, `at`, `corpus.window.maxMessages`), or `''`. */
  field: string;
  /** What is expected, and what was found. */
  message: string;
  /** The line (1-based), when the problem is on one. */
  line?: number;
}

/** A field path as people write it: `corpus.window.maxMessages`, `label.severity`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let result = '';
  for (const part of path) {
    if (typeof part === 'number') result += `[${part}]`;
    else result += result === '' ? String(part) : `.${String(part)}`;
  }
  return result;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  const json = JSON.stringify(input) ?? String(input);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** zod issues of one line as problems naming the file, the line and the field. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], file: string, line: number): CorpusProblem[] {
  return issues.map((issue) => {
    const base = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys')
      return {
        source: `${file}:${line}`,
        field: base === '' ? issue.keys.join(', ') : `${base}.${issue.keys.join(', ')}`,
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} (check the spelling)`,
        line,
      };
    return {
      source: `${file}:${line}`,
      field: base,
      message: `${issue.message}${'input' in issue ? ` (got ${describeInput(issue.input)})` : ''}`,
      line,
    };
  });
}

/** One line per problem: `corpus.jsonl:7: label.severity: expected info, warning or critical (got "high")`. */
export function formatCorpusProblem(problem: CorpusProblem): string {
  return `${problem.source}: ${problem.field ? `${problem.field}: ` : ''}${problem.message}`;
}
