import { describeConfig, formatProblems, loadConfig } from '@turbostream/config';

export const CONFIG_HELP = `turbostream config check — validate env.local and the streams file

Usage: turbostream config check

Prints the effective configuration with secrets masked, or every problem found,
each naming the file or variable, the field and what is expected. Exits 1 on problems.`;

export function configCheck(): number {
  const result = loadConfig({ env: process.env, cwd: process.cwd() });
  if (!result.ok) {
    process.stderr.write(`The configuration has ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:\n${formatProblems(result.problems)}\n`);
    return 1;
  }
  process.stdout.write(`${result.envFile ? `env file     ${result.envFile}` : 'env file     (none: env.local not found; using the environment)'}\n`);
  process.stdout.write(`${describeConfig(result.config)}\n`);
  if (result.warnings.length > 0) process.stdout.write(`\nwarnings\n${formatProblems(result.warnings)}\n`);
  process.stdout.write('\nconfiguration OK\n');
  return 0;
}
