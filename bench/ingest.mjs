// Ingest throughput and memory: WebSocket → Redis stream, against a receive-only client.
// Run with `npm run bench:ingest` (builds first), or `node bench/ingest.mjs --messages 200000 --rounds 3`
// after a build. Each round measures a receive-only ws client, then the real Ingest class (into a fresh
// namespace); the ratio uses the medians, because on a small machine the producer, redis-server and
// the measuring process compete for CPU and single runs vary.
// The measurements run in bench/ingest-consumer.mjs, the source in bench/ingest-producer.mjs.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RedisServer } from '@turbostream/testkit';
import { cliNodeFlags } from '../apps/cli/dist/node-flags.js';

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } },
});
const messages = Number(values.messages);
const rounds = Number(values.rounds);
if (!Number.isInteger(messages) || messages <= 0)
  throw new Error(`--messages must be a positive integer, got ${values.messages}`);
if (!Number.isInteger(rounds) || rounds <= 0)
  throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);

const MB = 1024 * 1024;
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
/** Measurements run with the Node flags `turbostream` ships with (its shebang), as a deployed ingest does. */
const NODE_FLAGS = cliNodeFlags();

async function startProducer() {
  const child = fork(here('./ingest-producer.mjs'), [String(messages)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`producer exited with ${code}`)));
    child.on('message', (message) => {
      if (message.type === 'listening') resolve(message);
    });
  });
  return { child, url: `ws://127.0.0.1:${ready.port}`, bytes: ready.bytes };
}

/** Runs one measurement in a fresh child process, so its RSS is its own. */
async function measure(mode, url, redisUrl, namespace) {
  const child = fork(here('./ingest-consumer.mjs'), [mode, url, redisUrl, String(messages), namespace], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...NODE_FLAGS],
  });
  return new Promise((resolve, reject) => {
    let result;
    child.on('message', (message) => {
      result = message;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`${mode} measurement exited with ${code}`)),
    );
  });
}

const median = (list) => [...list].sort((left, right) => left - right)[Math.floor(list.length / 2)];
const row = (name, result) =>
  `${name.padEnd(26)} ${result.seconds.toFixed(2).padStart(8)} ` +
  `${Math.round(result.rate).toLocaleString('en-US').padStart(12)} ` +
  `${(result.baselineRss / MB).toFixed(0).padStart(9)} ${(result.peakRss / MB).toFixed(0).padStart(9)} ` +
  `${String(messages - result.stored).padStart(6)}`;

const redisServer = await RedisServer.start();
const producer = await startProducer();
try {
  console.log(
    `ingest bench: ${messages} messages of ~${producer.bytes} bytes, ${rounds} rounds; producer and each ` +
      `measurement in their own process; redis-server ${redisServer.url}`,
  );
  console.log('');
  console.log(
    `${'run'.padEnd(26)} ${'seconds'.padStart(8)} ${'messages/s'.padStart(12)} ${'rss0 MB'.padStart(9)} ` +
      `${'peak MB'.padStart(9)} ${'lost'.padStart(6)}`,
  );
  const receives = [];
  const ingests = [];
  for (let round = 1; round <= rounds; round += 1) {
    const receive = await measure('receive', producer.url, redisServer.url, '');
    console.log(row(`${round}. receive-only (no Redis)`, receive));
    const ingest = await measure('ingest', producer.url, redisServer.url, `bench${round}`);
    console.log(row(`${round}. ingest → Redis`, ingest));
    receives.push(receive);
    ingests.push(ingest);
  }
  const worst = ingests.reduce((left, right) => (right.peakRss > left.peakRss ? right : left));
  const ratio = median(ingests.map((result) => result.rate)) / median(receives.map((result) => result.rate));
  const lost = ingests.reduce((sum, result) => sum + messages - result.stored, 0);
  const heap = worst.heapAtPeak;
  console.log('');
  console.log(
    `median messages/s: ` +
      `receive-only ${Math.round(median(receives.map((result) => result.rate))).toLocaleString('en-US')}, ` +
      `ingest ${Math.round(median(ingests.map((result) => result.rate))).toLocaleString('en-US')}`,
  );
  console.log(
    `at the highest ingest RSS: V8 heap ${(heap.total / MB).toFixed(0)} MB, of which young ` +
      `generation ${(heap.newSpace / MB).toFixed(0)} MB; live heap ${(heap.used / MB).toFixed(0)} MB (node ` +
      `flags: ${[...process.execArgv, ...NODE_FLAGS].join(' ') || 'none'}, as turbostream runs)`,
  );
  console.log(
    `ingest peak buffer: ${Math.max(...ingests.map((result) => result.peakBuffered))} messages (limit 10000); ` +
      `dead letters: ${ingests.reduce((sum, result) => sum + result.deadLettered, 0)}; ` +
      `reconnects: ${ingests.reduce((sum, result) => sum + result.reconnects, 0)}`,
  );
  const verdict = (ok) => (ok ? 'ok' : 'MISSED');
  console.log(`ratio ingest/receive-only (medians): ${ratio.toFixed(2)}× (target ≥ 0.80×) ${verdict(ratio >= 0.8)}`);
  console.log(
    `peak RSS during ingest:              ${(worst.peakRss / MB).toFixed(0)} MB (target ≤ 200 ` +
      `MB) ${verdict(worst.peakRss <= 200 * MB)}`,
  );
  console.log(`lost, all rounds:                    ${lost} (target 0) ${verdict(lost === 0)}`);
  if (worst.peakRss > 200 * MB && heap.newSpace > heap.used) {
    console.log(
      "note: most of that RSS is V8's young generation, which grows with the allocation rate up to a size set by the",
    );
    console.log(
      "      machine's memory, not by what ingest holds; --max-semi-space-size caps it (see apps/cli/src/main.ts).",
    );
  }
} finally {
  producer.child.disconnect();
  await redisServer.dispose();
}
