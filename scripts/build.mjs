// `npm run build`: turbo builds every workspace package (cached per package),
// quietly. Its banner, task summary and one-time telemetry notice would
// otherwise come before TurboStream's own first line on every `npm start`, so
// this prints nothing when the build works and everything turbo said when it
// fails. On a terminal a progress line shows while it runs and is erased after.
// `npx turbo run build` shows turbo's own output.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const windows = process.platform === 'win32';
const turbo = join(root, 'node_modules', '.bin', windows ? 'turbo.cmd' : 'turbo');
const progress = process.stderr.isTTY === true;

if (progress) process.stderr.write('turbostream: building …');
const child = spawn(
  turbo,
  ['run', 'build', '--output-logs=errors-only', '--log-order=grouped', ...process.argv.slice(2)],
  {
    cwd: root,
    // Telemetry is turbo's, not something a user of TurboStream agreed to; a user's own setting wins.
    env: { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: windows,
  },
);
const output = [];
child.stdout.on('data', (chunk) => output.push(chunk));
child.stderr.on('data', (chunk) => output.push(chunk));
child.on('error', (error) => {
  if (progress) process.stderr.write('\n');
  process.stderr.write(`build: cannot run ${turbo}: ${error.message} (run \`npm install\` first)\n`);
  process.exit(1);
});
child.on('close', (code, signal) => {
  if (progress) process.stderr.write('\r\u001b[2K');
  if (code === 0) return;
  process.stderr.write(Buffer.concat(output));
  process.stderr.write(`build: turbo run build failed (${signal ?? `exit code ${code}`})\n`);
  process.exit(code ?? 1);
});
