// One measurement of bench/ingest.mjs, run as a child process so that its RSS
// is its own: `receive` (a bare ws client, no Redis) or `ingest` (the real
// Ingest class into Redis). Reports its figures to the parent over IPC.
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { Ingest } from '@turbostream/ingest';
import { createLogger } from '@turbostream/logging';
import { closeRedis, connectRedis, createKeyLayout } from '@turbostream/redis';
import { WebSocket } from 'ws';

const [mode, url, redisUrl, messagesArgument, namespace] = process.argv.slice(2);
const messages = Number(messagesArgument);
/** The ingest settings the configuration loader defaults to (libs/config env schema). */
const settings = {
  maxFrameBytes: 1_048_576,
  maxBufferedMessages: 10_000,
  batchSize: 500,
  pingIntervalMs: 15_000,
  reconnectInitialMs: 500,
  reconnectMaxMs: 30_000,
};

function heapFigures() {
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const { used_heap_size: used, total_heap_size: total } = getHeapStatistics();
  return { used, total, newSpace: newSpace?.space_size ?? 0 };
}

/** Samples RSS (and V8's heap, to explain it) every 50 ms while `run` runs. */
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
  try {
    const extra = await run();
    const seconds = (performance.now() - startedAt) / 1000;
    sample();
    return { seconds, rate: messages / seconds, baselineRss, peakRss, heapAtPeak, ...extra };
  } finally {
    clearInterval(sampler);
  }
}

function receiveOnly() {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = new WebSocket(url);
    socket.on('error', reject);
    socket.on('message', () => {
      received += 1;
      if (received === messages) {
        socket.terminate();
        resolve({ stored: received, peakBuffered: 0, deadLettered: 0, reconnects: 0 });
      }
    });
  });
}

async function ingestIntoRedis() {
  const redis = connectRedis({ url: redisUrl, name: 'bench:ingest' });
  const keys = createKeyLayout(namespace);
  const ingest = new Ingest({
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
        if ((stats?.stored ?? 0) + (stats?.deadLettered ?? 0) >= messages) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    const stats = ingest.stats().bench;
    await ingest.close();
    return {
      stored: await redis.xlen(keys.messages('bench')),
      peakBuffered: stats?.peakBuffered ?? 0,
      deadLettered: stats?.deadLettered ?? 0,
      reconnects: stats?.reconnects ?? 0,
    };
  } finally {
    await closeRedis(redis);
  }
}

const result = await measure(mode === 'ingest' ? ingestIntoRedis : receiveOnly);
process.send?.(result, () => process.disconnect());
