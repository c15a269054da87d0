// Alert latency: from a window's last message stored in Redis to its alert on the alerts channel, less the provider
// call's own time (what TurboStream adds: waking the windower, cutting and storing the window, the queue, the
// analyzer's work before and after the call, publishing). One `turbostream windower` and one `turbostream analyzer`
// process of the built CLI, an OpenAI-protocol fake answering every window with an alert after `--latency` ms.
// Each window is written as one burst of `--messages` messages (closed by count) on a stream, `--rate` windows a
// second; with 1,000 streams each burst goes to a stream drawn at random (seeded), the others stay quiet.
// Run with `npm run bench:latency` (builds first), or after a build:
//   node bench/latency.mjs [--streams 1,1000] [--windows 200] [--rate 10] [--messages 10] [--latency 50]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Alert } from '@turbostream/contracts';
import { createKeyLayout } from '@turbostream/redis';
import { RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { seededRandom, startAnalyzerProcess, startCliProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1,1000' },
    windows: { type: 'string', default: '200' },
    rate: { type: 'string', default: '10' },
    messages: { type: 'string', default: '10' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '7' },
  },
});
const positive = (name) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
  return value;
};
const streamCounts = values.streams.split(',').map((count) => {
  const value = Number(count);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--streams takes positive integers, got ${count}`);
  return value;
});
const windows = positive('windows');
const rate = positive('rate');
const messagesPerWindow = positive('messages');
const latencyMs = positive('latency');
const concurrency = positive('concurrency');
const seed = positive('seed');
/** Windows sent first and not counted: connections opened, code compiled. */
const WARMUP = 10;
const API_KEY = 'sk-bench-latency-0123456789';
const GOALS = { 1: { p50: 10, p99: 25 }, 1000: { p99: 50 } };

const redisServer = await RedisServer.start();
const llm = await startFakeOpenAI({
  apiKey: API_KEY,
  handler: () => ({
    content: JSON.stringify({
      alerts: [{ severity: 'info', title: 'window seen', summary: 'the fake model saw the window', evidence: ['1'] }],
    }),
    firstTokenDelayMs: latencyMs,
  }),
});
const dir = mkdtempSync(join(tmpdir(), 'turbostream-bench-latency-'));

/** A realistic trade message of about 150 bytes. */
function message(random, sequence) {
  return JSON.stringify({
    type: 'trade',
    symbol: ['BTC-USD', 'ETH-USD', 'SOL-USD'][Math.floor(random() * 3)],
    price: Number((30_000 + random() * 1_000).toFixed(2)),
    size: Number((random() * 2).toFixed(4)),
    side: random() < 0.5 ? 'buy' : 'sell',
    sequence,
    at: new Date().toISOString(),
  });
}

function percentile(sorted, share) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
}

/** Runs one measurement with `streamCount` configured streams; resolves to the overheads in ms. */
async function measure(streamCount) {
  const namespace = `latency${streamCount}`;
  const keys = createKeyLayout(namespace);
  const streams = Array.from({ length: streamCount }, (_, index) => `s${index}`);
  const file = join(dir, `streams-${streamCount}.yaml`);
  writeFileSync(
    file,
    `streams:\n${streams
      .map(
        (id) =>
          `  - id: ${id}\n    source: { url: 'ws://127.0.0.1:9/${id}' }\n` +
          `    window: { maxMessages: ${messagesPerWindow}, maxSeconds: 3600 }\n` +
          '    analysis: { provider: openai, model: gpt-bench, instructions: Flag every window. }\n',
      )
      .join('')}`,
  );
  const env = (role) => ({
    REDIS_URL: redisServer.url,
    TURBOSTREAM_NAMESPACE: namespace,
    TURBOSTREAM_INSTANCE_ID: `${role}-1`,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    TURBOSTREAM_STREAMS_FILE: file,
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: llm.url,
    ANALYZER_CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  });
  const redis = redisServer.client();
  const subscriber = redisServer.client();
  const processes = [startCliProcess('windower', env('windower')), startAnalyzerProcess(env('analyzer'))];
  /** Write time (performance.now()) of each window's last message, by window id (its first entry's id). */
  const written = new Map();
  const overheads = [];
  const queued = [];
  try {
    await subscriber.subscribe(keys.alertsChannel);
    subscriber.on('message', (_channel, text) => {
      const at = performance.now();
      const alert = Alert.parse(JSON.parse(text));
      const sentAt = written.get(alert.windowId);
      if (sentAt === undefined || sentAt.index < WARMUP) return; // the warm-up's alerts are not counted
      overheads.push(at - sentAt.at - alert.timings.totalMs);
      queued.push(alert.timings.queuedMs);
    });
    // Every stream owned, and the analyzer up, before the first window.
    await waitFor(
      async () => {
        let owned = 0;
        for (let from = 0; from < streams.length; from += 500)
          owned += await redis.exists(...streams.slice(from, from + 500).map((id) => keys.windowLease(id)));
        return owned === streams.length;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: `the windower owning ${streamCount} streams` },
    );
    await waitFor(async () => (await redis.zcard(keys.providerAnalyzers('openai'))) > 0, {
      timeoutMs: 60_000,
      description: 'an analyzer serving openai',
    });
    const random = seededRandom(seed);
    let sequence = 0;
    const total = WARMUP + windows;
    const pace = 1_000 / rate;
    const startedAt = performance.now();
    const sends = [];
    for (let index = 0; index < total; index += 1) {
      // Paced by the clock, not by the previous send: a slow reply does not slow the next window.
      const due = startedAt + index * pace;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const stream = streams[streamCount === 1 ? 0 : Math.floor(random() * streamCount)];
      const pipeline = redis.pipeline();
      for (let count = 0; count < messagesPerWindow; count += 1) {
        sequence += 1;
        pipeline.xadd(
          keys.messages(stream),
          '*',
          'kind',
          'message',
          'data',
          message(random, sequence),
          'receivedAt',
          String(Date.now()),
        );
      }
      sends.push(
        pipeline.exec().then((results) => {
          const at = performance.now();
          const [error, firstId] = results?.[0] ?? [new Error('no reply')];
          if (error) throw error;
          written.set(firstId, { at, index });
        }),
      );
    }
    await Promise.all(sends);
    await waitFor(() => overheads.length >= windows, {
      timeoutMs: 60_000 + windows * latencyMs,
      intervalMs: 50,
      description: `the alerts of ${windows} windows`,
    });
    return { overheads, queued };
  } catch (error) {
    for (const { errors } of processes) if (errors()) console.error(errors());
    throw error;
  } finally {
    await Promise.all(processes.map(({ stop }) => stop()));
    subscriber.disconnect();
    redis.disconnect();
  }
}

try {
  console.log(
    `alert latency: from a window's last message stored in Redis to its alert, less the provider call's own time; ` +
      `${windows} windows of ${messagesPerWindow} messages (closed by count) at ${rate} windows/s, fake answering ` +
      `after ${latencyMs} ms, one windower and one analyzer process (ANALYZER_CONCURRENCY=${concurrency}); ` +
      `${availableParallelism()} cores`,
  );
  const rows = [];
  for (const streamCount of streamCounts) {
    const { overheads, queued } = await measure(streamCount);
    const sorted = [...overheads].sort((left, right) => left - right);
    const queuedSorted = [...queued].sort((left, right) => left - right);
    const row = {
      streams: streamCount,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted.at(-1),
      queuedP50: percentile(queuedSorted, 0.5),
    };
    rows.push(row);
    const goal = GOALS[streamCount];
    const checks = goal
      ? Object.entries(goal)
          .map(([name, limit]) => `${name} ${row[name] <= limit ? '✓' : '✗'} ≤ ${limit} ms`)
          .join(', ')
      : 'no goal set';
    console.log(
      `${String(streamCount).padStart(5)} stream${streamCount === 1 ? ' ' : 's'}: overhead p50 ${row.p50.toFixed(1)} ms, ` +
        `p90 ${row.p90.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, max ${row.max.toFixed(1)} ms ` +
        `(of which waiting in the queue, p50 ${row.queuedP50.toFixed(1)} ms) — ${checks}`,
    );
  }
} finally {
  await llm.close();
  await redisServer.dispose();
  rmSync(dir, { recursive: true, force: true });
}
