// One measurement of bench/ingest.mjs, run as a child process so that its RSS
// is its own: `receive` (a bare ws client, no Redis) or `ingest` (the real
// Ingest class into Redis). Reports its figures to the parent over IPC.
//
// How many messages to wait for: a number (the burst), or `ipc` (the sustained
// flood, whose producer sends for a time): then the parent passes on the
// producer's `{ type: 'sent', count }` once it has sent its last message.
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import * as ingestModule from '@turbostream/ingest';
import { createLogger } from '@turbostream/logging';
import { closeRedis, connectRedis, createKeyLayout } from '@turbostream/redis';
import { WebSocket } from 'ws';

const [mode, url, redisUrl, expectedArgument, namespace] = process.argv.slice(2);
/** The ingest settings the configuration loader defaults to (libs/config env schema). */
const settings = {
  maxFrameBytes: 1_048_576,
  maxBufferedMessages: 10_000,
  maxBufferedBytes: 4_194_304,
  batchSize: 500,
  pingIntervalMs: 15_000,
  reconnectInitialMs: 500,
  reconnectMaxMs: 30_000,
};

/** The number of messages sent: known up front (burst), or from the parent once the producer stops (sustained). */
const expected =
  expectedArgument === 'ipc'
    ? new Promise((resolve) =>
        process.on('message', (message) => {
          if (message.type === 'sent') resolve(message.count);
        }),
      )
    : Promise.resolve(Number(expectedArgument));
let sent;
void expected.then((count) => {
  sent = count;
});

function heapFigures() {
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const { used_heap_size: used, total_heap_size: total } = getHeapStatistics();
  const { external, arrayBuffers } = process.memoryUsage();
  return { used, total, newSpace: newSpace?.space_size ?? 0, external, arrayBuffers };
}

/** The kernel's record of this process's peak RSS (VmHWM), in bytes; 0 where /proc is not there. */
function kernelPeakRss() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples RSS (and V8's heap, to explain it) every 50 ms while `run` runs; the peak is the larger of the samples
 * and the kernel's VmHWM, which catches a peak between two samples.
 */
async function measure(run) {
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let heapAtPeak = heapFigures();
  const sample = () => {
    const { rss } = process.memoryUsage();
    if (rss > peakRss) {
      peakRss = rss;
      heapAtPeak = heapFigures();
    }
  };
  const sampler = setInterval(sample, 50);
  const startedAt = performance.now();
  const cpuAtStart = process.cpuUsage();
  try {
    const { received, seconds: measured, ...extra } = await run(startedAt);
    const seconds = measured ?? (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    sample();
    return {
      seconds,
      sent,
      received,
      rate: received / seconds,
      // The process's own CPU (user + system) per message: unlike the rate, barely moved by other load on the machine.
      cpuMicrosPerMessage: (cpu.user + cpu.system) / received,
      baselineRss,
      peakRss: Math.max(peakRss, kernelPeakRss()),
      heapAtPeak,
      ...extra,
    };
  } finally {
    clearInterval(sampler);
  }
}

function receiveOnly(startedAt) {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = new WebSocket(url);
    const finish = () => {
      const seconds = (performance.now() - startedAt) / 1000;
      socket.terminate();
      resolve({ received, seconds, stored: received, peakBuffered: 0, deadLettered: 0, reconnects: 0 });
    };
    socket.on('error', reject);
    socket.on('message', () => {
      received += 1;
      if (received === sent) finish();
    });
    // A sustained flood's count can arrive after its last message did.
    void expected.then((count) => {
      if (received >= count) finish();
    });
  });
}

async function ingestIntoRedis(startedAt) {
  const redis = connectRedis({ url: redisUrl, name: 'bench:ingest' });
  const keys = createKeyLayout(namespace);
  const ingest = new ingestModule.Ingest({
    redis,
    keys,
    logger: createLogger({ level: 'warn' }),
    sources: [{ streamId: 'bench', url, subscribe: [], headers: {}, format: 'json' }],
    settings,
  });
  try {
    await ingest.start();
    await new Promise((resolve) => {
      const poll = setInterval(() => {
        const stats = ingest.stats().bench;
        if (sent !== undefined && (stats?.stored ?? 0) + (stats?.deadLettered ?? 0) >= sent) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    const seconds = (performance.now() - startedAt) / 1000;
    const stats = ingest.stats().bench;
    await ingest.close();
    const stored = await redis.xlen(keys.messages('bench'));
    // The next rounds' Redis memory should not carry this one's (a 2 KB flood stores about a gigabyte).
    await redis.del(keys.messages('bench'));
    return {
      seconds,
      received: stats?.received ?? 0,
      stored,
      peakBuffered: stats?.peakBuffered ?? 0,
      // Absent from builds before ingest bounded its buffer by bytes (kept so the bench measures those too).
      peakBufferedBytes: stats?.peakBufferedBytes,
      bufferLimitBytes: settings.maxBufferedBytes,
      deadLettered: stats?.deadLettered ?? 0,
      reconnects: stats?.reconnects ?? 0,
    };
  } finally {
    await closeRedis(redis);
  }
}

const result = await measure(mode === 'ingest' ? ingestIntoRedis : receiveOnly);
process.send?.(result, () => process.disconnect());
