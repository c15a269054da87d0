/** The CLI's entry: `bin/turbostream.js` imports this module after checking Node and the build. */
import { run } from './cli.js';
import { UsageError } from './runtime/load.js';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`turbostream: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
