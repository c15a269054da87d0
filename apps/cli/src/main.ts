#!/usr/bin/env node
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
