#!/usr/bin/env -S node --max-semi-space-size=16
// The flag above caps V8's young generation (Node sizes it from the machine's
// memory, up to 64 MB a semi-space): at full ingest speed it otherwise makes up
// most of the process's RSS without holding any more data. `npm start`, the
// tests and the benchmarks read the flags from this line, so every way of
// starting turbostream runs with the same ones.
import { run } from './cli.js';
import { UsageError } from './runtime/load.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`turbostream needs Node.js 22 or newer (24 LTS recommended); this is ${process.version}.\n`);
  process.exit(1);
}

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
