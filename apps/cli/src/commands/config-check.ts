import { describeConfig, formatProblems, loadConfig, streamsFileName } from '@turbostream/config';
import { readPriceFile } from '@turbostream/costs';
import { CONFIG_HELP } from '../help.js';
import { UsageError } from '../runtime/load.js';

/**
 * What is wrong with the words after `turbostream config`, as one line, or
 * `undefined` when they are `check`.
 */
export function configUsageProblem(positionals: readonly string[]): string | undefined {
  const [subcommand, ...extra] = positionals;
  if (subcommand === undefined) return 'turbostream config: expected a subcommand, `turbostream config check`';
  if (subcommand !== 'check')
    return (
      `turbostream config: unknown subcommand ${JSON.stringify(subcommand)}: expected \`turbostream config ` + `check\``
    );
  if (extra.length > 0)
    return `turbostream config check: unexpected argument ${JSON.stringify(extra[0])}: it takes none`;
  return undefined;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Runs `turbostream config <positionals>`: `check` prints every problem and
 * warning in one pass (exit code 1 on problems); anything else is a
 * {@link UsageError} (exit code 2) saying what was wrong, then the help.
 */
export function configCheck(positionals: readonly string[] = ['check']): number {
  const usageProblem = configUsageProblem(positionals);
  if (usageProblem !== undefined) throw new UsageError(`${usageProblem}\n\n${CONFIG_HELP}`);
  const loaded = loadConfig({ env: process.env, cwd: process.cwd() });
  // The price file is the analyzer's (libs/costs), checked here too so that one command finds every problem.
  const prices = loaded.ok
    ? readPriceFile(loaded.config.pricesFile, streamsFileName(loaded.config.pricesFile, process.cwd())).problems
    : [];
  const result = loaded.ok && prices.length > 0 ? { ...loaded, ok: false as const, problems: prices } : loaded;
  const warnings = result.warnings.length > 0 ? `\nwarnings\n${formatProblems(result.warnings)}\n` : '';
  if (!result.ok) {
    process.stderr.write(
      `The configuration ` +
        `has ${plural(result.problems.length, 'problem')}:\n${formatProblems(result.problems)}\n${warnings}`,
    );
    return 1;
  }
  const envFile = result.envFile ?? `(none: ${result.envFileName ?? 'no env file'} not found; using the environment)`;
  process.stdout.write(`env file     ${envFile}\n`);
  process.stdout.write(`${describeConfig(result.config)}\n`);
  process.stdout.write(warnings);
  process.stdout.write('\nconfiguration OK\n');
  return 0;
}
