// The JSON check of a `format: json` frame, per byte: ingest's isJsonText against JSON.parse of the decoded text
// (what it replaced), on market messages as bench/ingest-producer.mjs makes them. Run after a build:
//
//   node bench/json-check.mjs                       ~250 B and ~2 KB order-book updates, and ~2 KB of long strings
//   node bench/json-check.mjs --rounds 9 --ms 300   more and longer rounds
//   node bench/json-check.mjs --compare other.js    also time the isJsonText of another build (say, an older one)
//
// Each round times every check on every kind of message in turn, over a ring of distinct Buffers, so the figures
// and their ratios come from the same moments of a shared machine; it prints the median CPU ns per byte of the rounds.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { isJsonText } from '../services/ingest/dist/json-text.js';
import { depthUpdates } from './order-book.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    ms: { type: 'string', default: '200' },
    compare: { type: 'string', multiple: true },
  },
});
const rounds = Number(values.rounds);
const roundMs = Number(values.ms);
const RING = 256;

/** Order-book updates (Binance's depthUpdate shape) of about `size` bytes, as bench/ingest-producer.mjs sends. */
function orderBook(size) {
  const next = depthUpdates(size);
  return Array.from({ length: RING }, (_, seq) => Buffer.from(next(seq)));
}

/** News-like messages of about `size` bytes: a few long strings, with an escape and some non-ASCII text. */
function longStrings(size) {
  const words = ['market', 'rallies', 'as', 'Bitcoin', 'tops', '61,000', '—', 'traders', 'say', '“risk-on”', 'again'];
  return Array.from({ length: RING }, (_, seq) => {
    const sentence = (n) => Array.from({ length: n }, (_, i) => words[(seq + i * 7) % words.length]).join(' ');
    const head = `{"id":${seq},"time":${1_764_102_000_000 + seq},"source":"wire","title":"${sentence(12)}",`;
    let text = '';
    while (head.length + text.length < size - 40) text += `${sentence(20)}. `;
    return Buffer.from(`${head}"body":"${text}\\n","tags":["btc","macro"]}`);
  });
}

const kinds = [
  { name: 'order book ~250 B', messages: orderBook(250) },
  { name: 'order book ~2 KB', messages: orderBook(2048) },
  { name: 'long strings ~2 KB', messages: longStrings(2048) },
];

const checks = [
  { name: 'isJsonText', check: isJsonText },
  {
    name: 'JSON.parse(buffer.toString())',
    check: (bytes) => {
      try {
        JSON.parse(bytes.toString());
        return true;
      } catch {
        return false;
      }
    },
  },
];
for (const path of values.compare ?? []) {
  const module = await import(pathToFileURL(resolve(path)).href);
  checks.push({ name: `isJsonText of ${path}`, check: module.isJsonText });
}

for (const { messages } of kinds) {
  for (const { name, check } of checks) {
    if (!messages.every((bytes) => check(bytes) === true)) throw new Error(`${name} refused a valid message`);
  }
}

/**
 * Runs `check` over the ring for about `ms` milliseconds: CPU nanoseconds (user + system, this process's) per byte.
 * CPU time, not elapsed time: on a shared machine the process is descheduled at times, and that is not the check's.
 */
function time(check, messages, ms) {
  const bytesPerRing = messages.reduce((sum, bytes) => sum + bytes.length, 0);
  let rings = 0;
  let accepted = 0;
  const stopAt = performance.now() + ms;
  const cpuBefore = process.cpuUsage();
  while (performance.now() < stopAt) {
    for (let index = 0; index < RING; index += 1) if (check(messages[index])) accepted += 1;
    rings += 1;
  }
  const cpu = process.cpuUsage(cpuBefore);
  if (accepted !== rings * RING) throw new Error('a valid message was refused');
  return ((cpu.user + cpu.system) * 1000) / (rings * bytesPerRing);
}

// Warm up: every check on every kind, so each is optimized before it is timed.
for (const { messages } of kinds) for (const { check } of checks) time(check, messages, 100);

const samples = kinds.map(() => checks.map(() => []));
for (let round = 0; round < rounds; round += 1) {
  kinds.forEach(({ messages }, kind) => {
    checks.forEach(({ check }, index) => {
      samples[kind][index].push(time(check, messages, roundMs));
    });
  });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(`node ${process.version}, ${rounds} rounds of ${roundMs} ms per check and kind; median CPU ns per byte`);
kinds.forEach(({ name, messages }, kind) => {
  const averageBytes = Math.round(messages.reduce((sum, bytes) => sum + bytes.length, 0) / messages.length);
  console.log(`\n${name} (${averageBytes} B on average)`);
  const parse = median(samples[kind][1]);
  checks.forEach(({ name: checkName }, index) => {
    const nsPerByte = median(samples[kind][index]);
    const perMessage = (nsPerByte * averageBytes) / 1000;
    const ratio = index === 1 ? '' : `  ${(nsPerByte / parse).toFixed(3)}× JSON.parse`;
    console.log(`  ${checkName.padEnd(40)} ${nsPerByte.toFixed(3)} ns/B  ${perMessage.toFixed(2)} µs/message${ratio}`);
  });
});
