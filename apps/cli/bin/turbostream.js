#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=100
// The `turbostream` command: what npm links as node_modules/.bin/turbostream,
// so `npx turbostream …` and `npm start` run this file. It is plain JavaScript
// and committed, so the link exists right after `npm install`, before anything
// is built. In order, it:
//   1. runs on the project's own Node (the node-<platform> package `npm install`
//      put in node_modules/.bin) when the Node that started it is older than 22;
//   2. builds the workspace on first use in a checkout (dist/ missing);
//   3. runs the CLI (dist/main.js) in this process.
//
// The flags on the first line are the one home of the CLI's Node flags. They
// keep a flood from growing V8's heap with garbage (BENCHMARKS.md, "Sustained
// floods"):
//   --max-semi-space-size=8   caps the young generation (Node sizes it from the
//       machine's memory, up to 64 MB a semi-space), which at full ingest speed
//       otherwise makes up most of the RSS without holding any more data;
//   --heap-growing-percent=100 starts a full collection once the old
//       generation is twice what the last one kept alive, where V8's own factor
//       (up to 4×) let a flood's promoted garbage add ~25 MB first (50 cut
//       more memory but cost ingest ~1.5 µs of CPU a message in full
//       collections).
// Neither moved the analyzers' figures in `npm run bench:scale`.
// Tests, benchmarks, `turbostream stack` and the container image read the
// flags from this line (see src/node-flags.ts).
//
// Keep this file runnable by old Node versions: it is what tells their users
// what to do.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIN_NODE_MAJOR = 22;
const self = fileURLToPath(import.meta.url);
const cliDir = dirname(dirname(self));
const main = join(cliDir, 'dist', 'main.js');

const fail = (message) => {
  process.stderr.write(`turbostream: ${message}\n`);
  process.exit(1);
};

const major = (version) => Number(String(version).replace(/^v/, '').split('.')[0]);

/** The nearest node_modules/.bin/node above this file whose version is new enough. */
function projectNode() {
  const name = process.platform === 'win32' ? 'node.exe' : 'node';
  for (let dir = cliDir; ; dir = dirname(dir)) {
    for (const candidate of [
      join(dir, 'node_modules', '.bin', name),
      join(
        dir,
        'node_modules',
        `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`,
        'bin',
        name,
      ),
    ]) {
      if (!existsSync(candidate)) continue;
      const probe = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
      if (probe.status === 0 && major(probe.stdout.trim()) >= MIN_NODE_MAJOR) return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Runs this command again on `node`, passing signals a supervisor sends to this process, and exits as it does. */
function runOn(node) {
  const child = spawn(node, [...process.execArgv, self, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the whole process group, the child included: passing
  // SIGINT on as well would count as a second Ctrl-C. SIGTERM and SIGHUP come to this pid only.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => fail(`cannot run ${node}: ${error.message}`));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

/** Builds the workspace (dist/ of every package) with the repository's quiet build, whose messages go to stderr. */
function build() {
  const script = join(dirname(dirname(cliDir)), 'scripts', 'build.mjs');
  if (!existsSync(script)) fail(`${main} is missing: this installation was not built.`);
  process.stderr.write('turbostream: first run in this checkout: building it (npm run build) …\n');
  const result = spawnSync(process.execPath, [script], { stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0)
    fail(
      `the build failed (${result.error?.message ?? `exit code ${result.status}`}); run \`npm run build\` to see why.`,
    );
}

if (major(process.versions.node) < MIN_NODE_MAJOR) {
  const node = projectNode();
  if (!node) {
    fail(
      `this is Node.js ${process.version}; TurboStream needs Node.js ${MIN_NODE_MAJOR} or newer (24 LTS ` +
        `recommended).\n` +
        '  In the repository, `npm install` brings Node 24 for this machine, and `npm start`, `npm test` and\n' +
        '  `npx turbostream …` use it; otherwise install Node 24 (for example `nvm install 24`).',
    );
  }
  runOn(node);
} else {
  if (!existsSync(main)) build();
  await import(pathToFileURL(main).href);
}
