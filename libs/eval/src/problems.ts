import { type ConfigProblem, issuesToProblems as configIssuesToProblems, formatProblem } from '@turbostream/config';
import type { z } from 'zod';

/**
 * One problem of a corpus file: libs/config's ConfigProblem (`source`, `field`, `message`), whose `source` is the file
 * and the line (`corpus.jsonl:7`), or the file alone for the file as a whole.
 */
export interface CorpusProblem extends ConfigProblem {
  /** The line (1-based), when the problem is on one. */
  line?: number;
}

/** zod issues of one line as problems naming the file, the line and the field (as the configuration's are). */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], file: string, line: number): CorpusProblem[] {
  return configIssuesToProblems(issues, () => `${file}:${line}`).map((problem) => ({ ...problem, line }));
}

/** One line per problem: `corpus.jsonl:7: label.severity: expected info, warning or critical (got "high")`. */
export function formatCorpusProblem(problem: CorpusProblem): string {
  return formatProblem(problem);
}
