import { describeConfig, formatProblems, loadConfig, type TurboConfig } from '@turbostream/config';
import { createLogger, type Logger } from '@turbostream/logging';

/** Thrown to stop the command with a message for the user (and no stack trace). */
export class UsageError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/** Loads the configuration, or stops with every problem listed. */
export function loadConfigOrExit(): TurboConfig {
  const result = loadConfig({ env: process.env, cwd: process.cwd() });
  if (!result.ok) {
    throw new UsageError(
      `TurboStream cannot start: the configuration has ${result.problems.length} ` +
        `problem${result.problems.length === 1 ? '' : 's'}:\n${formatProblems(result.problems)}\n\nRun ` +
        `\`turbostream config check\` after fixing them.`,
      78,
    );
  }
  for (const warning of result.warnings)
    process.stderr.write(`warning: ${warning.source}: ${warning.field}: ${warning.message}\n`);
  return result.config;
}

/** The root logger of a process; each service adds its own `service` field. */
export function rootLogger(config: TurboConfig): Logger {
  const format = config.log.format === 'auto' ? (process.stderr.isTTY ? 'pretty' : 'json') : config.log.format;
  return createLogger({ level: config.log.level, format, base: { instance: config.instanceId } });
}

export { describeConfig };
