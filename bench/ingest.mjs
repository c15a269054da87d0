// Ingest throughput and memory: WebSocket → Redis stream, against a receive-only client.
// Run with `npm run bench:ingest` (builds first), or after a build:
//
//   node bench/ingest.mjs                                   both modes, as `npm run bench:ingest` runs them
//   node bench/ingest.mjs --messages 200000 --rounds 3      the burst: N trades of ~138 bytes
//   node bench/ingest.mjs --seconds 10 --size 250 [--size 2048] --rounds 3
//                                                           the sustained flood: order-book updates of about
//                                                           that size, at full speed for that many seconds
//   … --node-flags="--max-semi-space-size=4"                measure with these Node flags, not the CLI's
//
// Each round measures a receive-only ws client, then the real Ingest class (into a fresh namespace), each in a
// fresh process; the ratio uses the medians, because on a small machine the producer, redis-server and the
// measuring process compete for CPU and single runs vary. A burst ends before V8's heap and ws's buffers reach
// a steady state; a flood of some seconds shows where memory settles.
// The measurements run in bench/ingest-consumer.mjs, the source in bench/ingest-producer.mjs. Besides each
// measuring process's own CPU per message, the report gives redis-server's (INFO cpu) while ingest stores: on a
// machine of few cores the producer, ingest and Redis share them, and their sum bounds the rate.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closeRedis, connectRedis } from '@turbostream/redis';
import { RedisServer } from '@turbostream/testkit';
import { cliNodeFlags } from '../apps/cli/dist/node-flags.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string' },
    seconds: { type: 'string' },
    size: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '3' },
    'node-flags': { type: 'string' },
  },
});

/** What `npm run bench:ingest` runs when no mode is named: the burst, then a flood of each size. */
const DEFAULTS = { messages: 200_000, seconds: 5, sizes: [250, 2048] };
/** Targets: the burst's from BENCHMARKS.md; the flood's from issue 14 (flat memory under a sustained flood). */
const TARGETS = {
  burst: { ratio: 0.8, rssMb: 200 },
  sustained: { ratio: 0.9, rssMb: 150 },
};

function positiveInteger(name, value) {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return number;
}

/** The scenarios to run, from the command line. */
function scenarios() {
  const named = values.messages !== undefined || values.seconds !== undefined;
  if (values.size !== undefined && values.seconds === undefined && named)
    throw new Error('--size applies to the sustained flood: give --seconds too');
  const list = [];
  if (values.messages !== undefined || !named) {
    const messages = values.messages === undefined ? DEFAULTS.messages : positiveInteger('messages', values.messages);
    list.push({ kind: 'burst', producerArgs: ['--messages', String(messages)], expected: String(messages) });
  }
  if (values.seconds !== undefined || !named) {
    const seconds = values.seconds === undefined ? DEFAULTS.seconds : positiveInteger('seconds', values.seconds);
    const sizes = values.size === undefined ? DEFAULTS.sizes : values.size.map((size) => positiveInteger('size', size));
    for (const size of sizes) {
      list.push({
        kind: 'sustained',
        seconds,
        producerArgs: ['--seconds', String(seconds), '--size', String(size)],
        expected: 'ipc',
      });
    }
  }
  return list;
}

const rounds = positiveInteger('rounds', values.rounds);
const MB = 1024 * 1024;
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
/**
 * Measurements run with the Node flags `turbostream` ships with (its shebang), as a deployed ingest does, or with
 * `--node-flags="…"` instead, to compare flags.
 */
const NODE_FLAGS = values['node-flags']?.split(/\s+/).filter(Boolean) ?? cliNodeFlags();

/** The producer of one scenario; a flood's `sent` report goes on to the measurement running at the time. */
async function startProducer(scenario) {
  const child = fork(here('./ingest-producer.mjs'), scenario.producerArgs, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const producer = { child, url: '', bytes: 0, measurement: undefined, forwardCount: scenario.expected === 'ipc' };
  const ready = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`producer exited with ${code}`)));
    child.on('message', (message) => {
      if (message.type === 'listening') resolve(message);
      // Only a flood's measurement waits for the count; one that has finished meanwhile no longer hears it.
      if (message.type === 'sent' && producer.forwardCount && producer.measurement?.connected)
        producer.measurement.send(message, () => {});
    });
  });
  producer.url = `ws://127.0.0.1:${ready.port}`;
  producer.bytes = ready.bytes;
  return producer;
}

/** Runs one measurement in a fresh child process, so its RSS is its own. */
async function measure(mode, producer, redisUrl, expected, namespace) {
  const child = fork(here('./ingest-consumer.mjs'), [mode, producer.url, redisUrl, expected, namespace], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...NODE_FLAGS],
  });
  producer.measurement = child;
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
const lostOf = (result) => result.sent - result.stored;
const row = (name, result) =>
  `${name.padEnd(26)} ${result.seconds.toFixed(2).padStart(8)} ${result.sent.toLocaleString('en-US').padStart(11)} ` +
  `${Math.round(result.rate).toLocaleString('en-US').padStart(12)} ` +
  `${(result.baselineRss / MB).toFixed(0).padStart(9)} ${(result.peakRss / MB).toFixed(0).padStart(9)} ` +
  `${String(lostOf(result)).padStart(6)}`;

function describe(scenario, producer) {
  return scenario.kind === 'burst'
    ? `burst: ${scenario.expected} messages of ~${producer.bytes} bytes`
    : `sustained flood: ${scenario.seconds} s of ~${producer.bytes}-byte messages at full speed`;
}

/** Every round of one scenario, then its medians and verdicts. */
async function runScenario(scenario, redisUrl, index) {
  const producer = await startProducer(scenario);
  try {
    console.log('');
    console.log(`${describe(scenario, producer)}, ${rounds} rounds`);
    console.log(
      `${'run'.padEnd(26)} ${'seconds'.padStart(8)} ${'messages'.padStart(11)} ${'messages/s'.padStart(12)} ` +
        `${'rss0 MB'.padStart(9)} ${'peak MB'.padStart(9)} ${'lost'.padStart(6)}`,
    );
    const receives = [];
    const ingests = [];
    for (let round = 1; round <= rounds; round += 1) {
      const receive = await measure('receive', producer, redisUrl, scenario.expected, '');
      console.log(row(`${round}. receive-only (no Redis)`, receive));
      const cpuBefore = await redisCpuSeconds();
      const ingest = await measure('ingest', producer, redisUrl, scenario.expected, `bench${index}-${round}`);
      ingest.redisCpuMicrosPerMessage = (((await redisCpuSeconds()) - cpuBefore) * 1e6) / ingest.stored;
      console.log(row(`${round}. ingest → Redis`, ingest));
      receives.push(receive);
      ingests.push(ingest);
    }
    report(scenario, receives, ingests);
  } finally {
    producer.child.disconnect();
  }
}

function report(scenario, receives, ingests) {
  const target = TARGETS[scenario.kind];
  const worst = ingests.reduce((left, right) => (right.peakRss > left.peakRss ? right : left));
  const receiveRate = median(receives.map((result) => result.rate));
  const ingestRate = median(ingests.map((result) => result.rate));
  const ratio = ingestRate / receiveRate;
  const lost = ingests.reduce((sum, result) => sum + lostOf(result), 0);
  const heap = worst.heapAtPeak;
  const verdict = (ok) => (ok ? 'ok' : 'MISSED');
  console.log(
    `median messages/s: receive-only ${Math.round(receiveRate).toLocaleString('en-US')}, ` +
      `ingest ${Math.round(ingestRate).toLocaleString('en-US')}; median peak RSS: receive-only ` +
      `${(median(receives.map((result) => result.peakRss)) / MB).toFixed(0)} MB, ingest ` +
      `${(median(ingests.map((result) => result.peakRss)) / MB).toFixed(0)} MB`,
  );
  console.log(
    `median CPU per message (the measuring process's own): receive-only ` +
      `${median(receives.map((result) => result.cpuMicrosPerMessage)).toFixed(2)} µs, ingest ` +
      `${median(ingests.map((result) => result.cpuMicrosPerMessage)).toFixed(2)} µs; redis-server's, storing them: ` +
      `${median(ingests.map((result) => result.redisCpuMicrosPerMessage)).toFixed(2)} µs`,
  );
  console.log(
    `at the highest ingest RSS: V8 heap ${(heap.total / MB).toFixed(0)} MB, of which young ` +
      `generation ${(heap.newSpace / MB).toFixed(0)} MB; live heap ${(heap.used / MB).toFixed(0)} MB; outside ` +
      `it, Buffers ${(heap.arrayBuffers / MB).toFixed(0)} MB (node ` +
      `flags: ${[...process.execArgv, ...NODE_FLAGS].join(' ') || 'none'}${values['node-flags'] === undefined ? ', as turbostream runs' : ''})`,
  );
  const peakBytes = ingests.map((result) => result.peakBufferedBytes).filter((bytes) => bytes !== undefined);
  const limit = ingests[0]?.bufferLimitBytes;
  const bytes = peakBytes.length > 0 ? `, ${(Math.max(...peakBytes) / MB).toFixed(1)} MB (limit ${limit / MB} MB)` : '';
  console.log(
    `ingest peak buffer: ${Math.max(...ingests.map((result) => result.peakBuffered))} messages (limit 10000)${bytes}; ` +
      `dead letters: ${ingests.reduce((sum, result) => sum + result.deadLettered, 0)}; ` +
      `reconnects: ${ingests.reduce((sum, result) => sum + result.reconnects, 0)}`,
  );
  console.log(
    `ratio ingest/receive-only (medians): ${ratio.toFixed(2)}× (target ≥ ${target.ratio.toFixed(2)}×) ` +
      `${verdict(ratio >= target.ratio)}`,
  );
  console.log(
    `peak RSS during ingest (highest):    ${(worst.peakRss / MB).toFixed(0)} MB (target ≤ ${target.rssMb} ` +
      `MB) ${verdict(worst.peakRss <= target.rssMb * MB)}`,
  );
  console.log(`lost, all rounds:                    ${lost} (target 0) ${verdict(lost === 0)}`);
  if (worst.peakRss > target.rssMb * MB && heap.newSpace > heap.used) {
    console.log(
      "note: most of that RSS is V8's young generation, which grows with the allocation rate up to a size set by the",
    );
    console.log(
      "      machine's memory, not by what ingest holds; --max-semi-space-size caps it (apps/cli/bin/turbostream.js).",
    );
  }
}

const redisServer = await RedisServer.start();
const statsClient = connectRedis({ url: redisServer.url, name: 'bench:ingest:stats' });
/** redis-server's CPU time so far (user + system, from INFO), in seconds. */
async function redisCpuSeconds() {
  const info = await statsClient.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
try {
  console.log(
    `ingest bench: producer and each measurement in their own process; redis-server ${redisServer.url}; ` +
      `RSS sampled every 50 ms and read from the kernel's peak (VmHWM)`,
  );
  const list = scenarios();
  for (const [index, scenario] of list.entries()) await runScenario(scenario, redisServer.url, index + 1);
} finally {
  await closeRedis(statsClient);
  await redisServer.dispose();
}
