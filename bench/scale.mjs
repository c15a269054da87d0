// Analyzer scaling: throughput of 1, 2 and 4 analyzer replicas (separate processes of the built CLI) draining
// a backlog of windows against a fake LLM with a fixed latency, next to the ideal replicas × concurrency ÷ latency
// measured in the same run. Run with `npm run bench:scale` (builds first), or after a build:
//   node bench/scale.mjs --latency 1000 --concurrency 8 [--windows W] [--replicas 1,2,4] [--messages 20]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout } from '@turbostream/redis';
import { RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { Queue } from 'bullmq';
import { backlogJobs } from './scale-backlog.mjs';
import { ownCpuSeconds, processCpuSeconds, redisCpuSeconds } from './scale-cpu.mjs';
import { startAnalyzerProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    windows: { type: 'string' },
    replicas: { type: 'string', default: '1,2,4' },
    messages: { type: 'string', default: '20' },
  },
});
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const messagesPerWindow = Number(values.messages);
const replicaCounts = values.replicas.split(',').map(Number);
const API_KEY = 'sk-bench-scale-0123456789';
const TARGET = { provider: 'openai', model: 'gpt-bench' };

const redisServer = await RedisServer.start();
const redis = redisServer.client();
const llm = await startFakeOpenAI({
  apiKey: API_KEY,
  handler: () => ({ content: '{"alerts":[]}', firstTokenDelayMs: latencyMs }),
});

/** One streamed chat completion against the fake, timed from request to the end of the stream. */
async function timedRequest() {
  const startedAt = performance.now();
  const response = await fetch(`${llm.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: TARGET.model, stream: true, messages: [{ role: 'user', content: 'ping' }] }),
  });
  await response.text();
  return performance.now() - startedAt;
}

function startAnalyzer(namespace, index) {
  const env = {
    REDIS_URL: redisServer.url,
    TURBOSTREAM_NAMESPACE: namespace,
    TURBOSTREAM_INSTANCE_ID: `analyzer-${index}`,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: llm.url,
    ANALYZER_CONCURRENCY: String(concurrency),
    LLM_TIMEOUT_MS: String(Math.max(30_000, latencyMs * 10)),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  return startAnalyzerProcess(env);
}

async function round(replicas) {
  const namespace = `scale${replicas}x${concurrency}`;
  const keys = createKeyLayout(namespace);
  const connection = redisServer.client();
  const queue = new Queue(analysisQueueName(TARGET.provider), { connection, prefix: keys.queuePrefix });
  const windows = values.windows ? Number(values.windows) : replicas * concurrency * 10;
  // The backlog waits in a paused queue while the replicas start, so start-up is measured apart from throughput.
  await queue.pause();
  for (let offset = 0; offset < windows; offset += 500)
    await queue.addBulk(
      backlogJobs({
        count: Math.min(500, windows - offset),
        messages: messagesPerWindow,
        target: TARGET,
        startMs: 1_700_000_000_000 + offset * messagesPerWindow,
      }),
    );
  const spawnedAt = performance.now();
  const analyzers = Array.from({ length: replicas }, (_, index) => startAnalyzer(namespace, index + 1));
  try {
    await waitFor(async () => (await redis.zcard(keys.providerAnalyzers(TARGET.provider))) === replicas, {
      timeoutMs: 60_000,
      description: `${replicas} analyzers serving ${TARGET.provider}`,
    });
    const startUpSeconds = (performance.now() - spawnedAt) / 1000;
    const cpuBefore = {
      analyzers: analyzers.map(({ child }) => processCpuSeconds(child.pid)),
      redis: await redisCpuSeconds(redis),
      own: ownCpuSeconds(),
    };
    const startedAt = performance.now();
    await queue.resume();
    await waitFor(async () => (await queue.getCompletedCount()) + (await queue.getFailedCount()) >= windows, {
      timeoutMs: 600_000,
      intervalMs: 50,
      description: 'the backlog to drain',
    });
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = {
      analyzers: analyzers.reduce(
        (sum, { child }, index) => sum + processCpuSeconds(child.pid) - (cpuBefore.analyzers[index] ?? 0),
        0,
      ),
      redis: (await redisCpuSeconds(redis)) - cpuBefore.redis,
      own: ownCpuSeconds() - cpuBefore.own,
    };
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const jobMs =
      jobs.reduce((sum, job) => sum + ((job.finishedOn ?? 0) - (job.processedOn ?? 0)), 0) / Math.max(1, jobs.length);
    const perReplica = new Map();
    for (const job of jobs) perReplica.set(job.processedBy, (perReplica.get(job.processedBy) ?? 0) + 1);
    return {
      replicas,
      windows,
      completed: jobs.length,
      failed: await queue.getFailedCount(),
      startUpSeconds,
      seconds,
      jobMs,
      cpu,
      perReplica,
    };
  } catch (error) {
    for (const [index, analyzer] of analyzers.entries())
      process.stderr.write(`analyzer-${index + 1}: ${analyzer.errors()}\n`);
    throw error;
  } finally {
    await Promise.all(analyzers.map((analyzer) => analyzer.stop()));
    await queue.close();
    connection.disconnect();
  }
}

try {
  await timedRequest(); // warm-up
  const samples = [await timedRequest(), await timedRequest(), await timedRequest()].sort((a, b) => a - b);
  const measuredLatencyMs = samples[1];
  console.log(
    `analyzer scaling: fake LLM first token after ${latencyMs} ms (measured: ${measuredLatencyMs.toFixed(1)} ms ` +
      `a request), ANALYZER_CONCURRENCY=${concurrency}, ${messagesPerWindow} messages a ` +
      `window, ${availableParallelism()} cores`,
  );
  const header = [
    'replicas',
    'windows',
    'start-up s',
    'seconds',
    'windows/s',
    'ideal',
    '% of ideal',
    'incl. start-up',
    'job ms',
    'CPU analyzers',
    'CPU redis',
    'CPU fake+bench',
  ];
  const rows = [];
  for (const replicas of replicaCounts) {
    const result = await round(replicas);
    const ideal = (replicas * concurrency) / (measuredLatencyMs / 1000);
    const throughput = result.completed / result.seconds;
    rows.push({ ...result, ideal, throughput, percent: (100 * throughput) / ideal });
    const last = rows.at(-1);
    console.log(
      `  ${replicas} replica${replicas === 1 ? '' : 's'}: ${last.completed}/${result.windows} windows ` +
        `in ${result.seconds.toFixed(2)} s = ${throughput.toFixed(1)}/s, ideal ${ideal.toFixed(1)}/s ` +
        `(${last.percent.toFixed(1)} %); per replica ${[...result.perReplica.values()].join('/')}; ` +
        `failed ${result.failed}`,
    );
  }
  const cells = (row) => [
    row.replicas,
    row.completed,
    row.startUpSeconds.toFixed(2),
    row.seconds.toFixed(2),
    row.throughput.toFixed(1),
    row.ideal.toFixed(1),
    `${row.percent.toFixed(1)} %`,
    `${((100 * row.completed) / (row.startUpSeconds + row.seconds) / row.ideal).toFixed(1)} %`,
    row.jobMs.toFixed(0),
    `${row.cpu.analyzers.toFixed(2)} s`,
    `${row.cpu.redis.toFixed(2)} s`,
    `${row.cpu.own.toFixed(2)} s`,
  ];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${cells(row).join(' | ')} |`);
  const atFour = rows.find((row) => row.replicas === 4);
  console.log(
    `\nseconds: from resuming the queue (replicas already up) to the last window done; start-up: spawn → every ` +
      `replica serving;\nincl. start-up: windows/s over start-up + seconds, as % of ideal. CPU: used during the ` +
      `measured seconds.\ntarget: ≥ 90 % of ideal at 4 replicas: ` +
      `${atFour ? `${atFour.percent.toFixed(1)} % — ${atFour.percent >= 90 ? 'met' : 'MISSED'}` : ''}` +
      `${atFour ? '' : 'not measured (no 4-replica round)'}`,
  );
} finally {
  redis.disconnect();
  await llm.close();
  await redisServer.dispose();
}
