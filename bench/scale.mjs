// Analyzer scaling: throughput of analyzer replicas (separate processes of the built CLI) draining a backlog of
// windows against a fake LLM with a fixed latency, next to the ideal replicas × concurrency ÷ latency measured in the
// same run; and, for each configuration, the same backlog drained by BullMQ alone (bench/scale-worker.mjs: the same
// worker and options, jobs that only wait the latency), which gives BullMQ's own cost per job. Run with
// `npm run bench:scale` (builds first), or after a build:
//   node bench/scale.mjs [--rounds 1x8,2x8,4x8,4x64] [--latency 1000] [--windows W] [--messages 20]
//                        [--warm-up 2] [--fakes 1] [--no-baseline] [--breakdown]
//   node bench/scale.mjs --latency 1000 --concurrency 64 --replicas 4    (every replicas × every concurrency)
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout } from '@turbostream/redis';
import { RedisServer, waitFor } from '@turbostream/testkit';
import { Queue } from 'bullmq';
import { cliNodeFlags } from '../apps/cli/dist/node-flags.js';
import { backlogJobs } from './scale-backlog.mjs';
import {
  machineCpuSeconds,
  ownCpuSeconds,
  processCpuSeconds,
  redisCommandStats,
  redisCpuSeconds,
} from './scale-cpu.mjs';
import { startAnalyzerProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '1000' },
    rounds: { type: 'string' },
    concurrency: { type: 'string' },
    replicas: { type: 'string' },
    windows: { type: 'string' },
    messages: { type: 'string', default: '20' },
    fakes: { type: 'string', default: '1' },
    'no-baseline': { type: 'boolean', default: false },
    breakdown: { type: 'boolean', default: false },
    'warm-up': { type: 'string', default: '2' },
  },
});
const latencyMs = Number(values.latency);
const messagesPerWindow = Number(values.messages);
const list = (text) => text.split(',').map(Number);
/** The configurations measured: `--rounds RxC,…`, or every `--replicas` with every `--concurrency`. */
const configurations =
  values.replicas || values.concurrency
    ? list(values.replicas ?? '1,2,4').flatMap((replicas) =>
        list(values.concurrency ?? '8').map((concurrency) => ({ replicas, concurrency })),
      )
    : (values.rounds ?? '1x8,2x8,4x8,4x64').split(',').map((round) => {
        const [replicas, concurrency] = round.split('x').map(Number);
        return { replicas, concurrency };
      });
if (configurations.some(({ replicas, concurrency }) => !(replicas >= 1 && concurrency >= 1)))
  throw new Error('rounds are REPLICASxCONCURRENCY, e.g. --rounds 1x8,4x64');
/** Windows each replica's slots take before the measured backlog: `--warm-up` rounds of `concurrency`. */
const warmUpRounds = Number(values['warm-up']);
const fakeCount = Number(values.fakes);
if (!(Number.isInteger(fakeCount) && fakeCount >= 1)) throw new Error('--fakes is a number of processes, 1 or more');
/** What drains each configuration's backlog, in this order: the baselines, then the analyzers. */
const KINDS = [...(values['no-baseline'] ? [] : ['bullmq']), ...(values.breakdown ? ['llm-call'] : []), 'analyzer'];
const LABELS = { bullmq: 'BullMQ alone', 'llm-call': 'BullMQ + LLM call', analyzer: 'analyzers' };
const API_KEY = 'sk-bench-scale-0123456789';
const TARGET = { provider: 'openai', model: 'gpt-bench' };
const LOCK_MS = 30_000; // ANALYZER_LOCK_MS's default, which the analyzers run with
const LLM_TIMEOUT_MS = Math.max(30_000, latencyMs * 10);

/**
 * A fake LLM in a process of its own (bench/scale-fake.mjs), so that it neither shares this process's event loop
 * nor hides in its CPU figure. `stats()` returns how late its first tokens were since the last call.
 */
async function startFake(index) {
  const child = fork(
    fileURLToPath(new URL('./scale-fake.mjs', import.meta.url)),
    ['--latency', String(latencyMs), '--api-key', API_KEY],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const { url } = await Promise.race([
    new Promise((resolve) => child.once('message', resolve)),
    exited.then((code) => Promise.reject(new Error(`fake LLM ${index + 1} exited with ${code}`))),
  ]);
  return {
    url,
    pid: child.pid,
    stats: () =>
      new Promise((resolve) => {
        child.once('message', ({ late }) => resolve(late));
        child.send('stats');
      }),
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const redisServer = await RedisServer.start();
const redis = redisServer.client();
const fakes = await Promise.all(Array.from({ length: fakeCount }, (_, index) => startFake(index)));
/** The fake replica `index` (from 1) calls: they take turns. */
const fakeOf = (index) => fakes[(index - 1) % fakes.length];

/** One streamed chat completion against the fake, timed from request to the end of the stream. */
async function timedRequest() {
  const startedAt = performance.now();
  const response = await fetch(`${fakes[0].url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: TARGET.model, stream: true, messages: [{ role: 'user', content: 'ping' }] }),
  });
  await response.text();
  return performance.now() - startedAt;
}

/** An analyzer replica: `turbostream analyzer`, the product. */
function startAnalyzer(namespace, index, concurrency) {
  return startAnalyzerProcess({
    REDIS_URL: redisServer.url,
    TURBOSTREAM_NAMESPACE: namespace,
    TURBOSTREAM_INSTANCE_ID: `analyzer-${index}`,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: fakeOf(index).url,
    ANALYZER_CONCURRENCY: String(concurrency),
    ANALYZER_LOCK_MS: String(LOCK_MS),
    LLM_TIMEOUT_MS: String(LLM_TIMEOUT_MS),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  });
}

const WORKER = fileURLToPath(new URL('./scale-worker.mjs', import.meta.url));

/** A baseline replica: bench/scale-worker.mjs in `mode`, started with the CLI's Node flags. */
function startBaselineWorker(mode, namespace, index, concurrency) {
  const child = fork(WORKER, [], {
    execArgv: cliNodeFlags(),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MODE: mode,
      REDIS_URL: redisServer.url,
      TURBOSTREAM_NAMESPACE: namespace,
      WORKER_NAME: `worker-${index}`,
      CONCURRENCY: String(concurrency),
      LATENCY_MS: String(latencyMs),
      LOCK_MS: String(LOCK_MS),
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: fakeOf(index).url,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors = (errors + chunk).slice(-4_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = Promise.race([
    new Promise((resolve) => child.once('message', resolve)),
    exited.then((code) => Promise.reject(new Error(`baseline worker exited with ${code}: ${errors}`))),
  ]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop, ready, errors: () => errors };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Adds `count` windows of stream `streamId` to the (paused) queue. */
async function addBacklog(queue, streamId, count) {
  for (let offset = 0; offset < count; offset += 500)
    await queue.addBulk(
      backlogJobs({
        count: Math.min(500, count - offset),
        messages: messagesPerWindow,
        target: TARGET,
        streamId,
        startMs: 1_700_000_000_000 + offset * messagesPerWindow,
      }),
    );
}

/**
 * Resumes the queue and waits until `total` of its jobs are done: one count a quarter second (the time measured is
 * the last job's own finish, so a slower poll loses no precision and adds less to Redis's figures).
 */
async function drain(queue, total, description) {
  await queue.resume();
  await waitFor(async () => (await queue.getJobCountByTypes('completed', 'failed')) >= total, {
    timeoutMs: 600_000,
    intervalMs: 250,
    description,
  });
}

/**
 * Drains a backlog of `replicas × concurrency × 10` windows (or `--windows`) with `replicas` processes of `kind`,
 * timed from resuming the queue (every replica already serving and warmed up) to the last job's finish, with the CPU
 * each part used meanwhile.
 */
async function round(kind, { replicas, concurrency }) {
  const namespace = `scale-${kind}-${replicas}x${concurrency}`;
  const keys = createKeyLayout(namespace);
  const connection = redisServer.client();
  const queue = new Queue(analysisQueueName(TARGET.provider), { connection, prefix: keys.queuePrefix });
  const windows = values.windows ? Number(values.windows) : replicas * concurrency * 10;
  const warmUp = replicas * concurrency * warmUpRounds;
  // The backlogs wait in a paused queue while the replicas start, so start-up is measured apart from throughput.
  await queue.pause();
  await addBacklog(queue, 'warm-up', warmUp);
  const spawnedAt = performance.now();
  const started = Array.from({ length: replicas }, (_, index) =>
    kind === 'analyzer'
      ? startAnalyzer(namespace, index + 1, concurrency)
      : startBaselineWorker(kind, namespace, index + 1, concurrency),
  );
  try {
    if (kind === 'analyzer')
      await waitFor(async () => (await redis.zcard(keys.providerAnalyzers(TARGET.provider))) === replicas, {
        timeoutMs: 60_000,
        description: `${replicas} analyzers serving ${TARGET.provider}`,
      });
    else await Promise.all(started.map((worker) => worker.ready));
    const startUpSeconds = (performance.now() - spawnedAt) / 1000;
    // Warm-up: the replicas' first windows (code compiled as it first runs, connections opened) are not measured.
    const warmUpStartedAt = performance.now();
    if (warmUp > 0) await drain(queue, warmUp, 'the warm-up backlog to drain');
    const warmUpSeconds = (performance.now() - warmUpStartedAt) / 1000;
    await queue.pause();
    await addBacklog(queue, 'bench', windows);
    await Promise.all(fakes.map((fake) => fake.stats())); // forget what start-up and warm-up asked of them
    const fakeCpu = () => fakes.reduce((sum, fake) => sum + processCpuSeconds(fake.pid), 0);
    const before = {
      workers: started.map(({ child }) => processCpuSeconds(child.pid)),
      redis: await redisCpuSeconds(redis),
      fake: fakeCpu(),
      own: ownCpuSeconds(),
      machine: machineCpuSeconds(),
    };
    await redis.config('RESETSTAT');
    const startedAt = Date.now();
    await drain(queue, warmUp + windows, 'the backlog to drain');
    const cpu = {
      workers: started.reduce((sum, { child }, index) => sum + processCpuSeconds(child.pid) - before.workers[index], 0),
      redis: (await redisCpuSeconds(redis)) - before.redis,
      fake: fakeCpu() - before.fake,
      own: ownCpuSeconds() - before.own,
      machine: machineCpuSeconds() - before.machine,
    };
    // Everything else the machine ran meanwhile (other people's work on a shared machine; redis-server's and the
    // kernel's time not charged to a process of ours).
    cpu.others = Math.max(0, cpu.machine - cpu.workers - cpu.redis - cpu.fake - cpu.own);
    const commands = await redisCommandStats(redis);
    const late = (await Promise.all(fakes.map((fake) => fake.stats()))).flat().sort((a, b) => a - b);
    const jobs = (await queue.getJobs(['completed'], 0, -1)).filter((job) => job.data.window.streamId === 'bench');
    // Timed to the last job's finish (the replicas' clock, this machine's), not to the poll that saw it.
    const finishedAt = jobs.reduce((last, job) => Math.max(last, job.finishedOn ?? 0), startedAt);
    const seconds = (finishedAt - startedAt) / 1000;
    const jobMs =
      jobs.reduce((sum, job) => sum + ((job.finishedOn ?? 0) - (job.processedOn ?? 0)), 0) / Math.max(1, jobs.length);
    const perReplica = new Map();
    for (const job of jobs) perReplica.set(job.processedBy, (perReplica.get(job.processedBy) ?? 0) + 1);
    return {
      kind,
      replicas,
      concurrency,
      windows,
      completed: jobs.length,
      failed: (await queue.getFailed(0, -1)).filter((job) => job.data.window.streamId === 'bench').length,
      startUpSeconds,
      warmUp,
      warmUpSeconds,
      seconds,
      jobMs,
      cpu,
      commands,
      late: late.length > 0 ? { p50: percentile(late, 50), p99: percentile(late, 99) } : undefined,
      perReplica,
    };
  } catch (error) {
    for (const [index, replica] of started.entries())
      process.stderr.write(`${LABELS[kind]} ${index + 1}: ${replica.errors()}\n`);
    throw error;
  } finally {
    await Promise.all(started.map((replica) => replica.stop()));
    await queue.close();
    connection.disconnect();
  }
}

const perJobMs = (seconds, jobs) => (1000 * seconds) / Math.max(1, jobs);

try {
  await timedRequest(); // warm-up
  // The fastest of five: what a call to the fake takes when nothing else on the machine delays it (its first-token
  // delay and HTTP's own). The median of three read 1071 ms once, on a busy machine, and made every figure > 100 %.
  const samples = [];
  for (let sample = 0; sample < 5; sample += 1) samples.push(await timedRequest());
  const measuredLatencyMs = Math.min(...samples);
  console.log(
    `analyzer scaling: fake LLM first token after ${latencyMs} ms (measured: ${measuredLatencyMs.toFixed(1)} ms ` +
      `a request, the fastest of ${samples.length}; ${fakeCount} fake process${fakeCount === 1 ? '' : 'es'}), ${messagesPerWindow} messages a window, ` +
      `${availableParallelism()} cores; rounds (replicas x ANALYZER_CONCURRENCY) ` +
      `${configurations.map(({ replicas, concurrency }) => `${replicas}x${concurrency}`).join(', ')}, each drained by ` +
      KINDS.map((kind) => LABELS[kind]).join(', then by '),
  );
  const rows = [];
  for (const configuration of configurations) {
    for (const kind of KINDS) {
      const result = await round(kind, configuration);
      const { replicas, concurrency } = configuration;
      const ideal = (replicas * concurrency) / (measuredLatencyMs / 1000);
      const throughput = result.completed / result.seconds;
      const row = { ...result, ideal, throughput, percent: (100 * throughput) / ideal };
      rows.push(row);
      const topCommands = Object.entries(result.commands.perCommand)
        .slice(0, 5)
        .map(
          ([command, { calls, usec }]) =>
            `${command} ${(calls / row.completed).toFixed(1)}× ${(usec / row.completed).toFixed(0)} µs`,
        );
      console.log(
        `  ${LABELS[kind]} ${replicas}x${concurrency}: ${row.completed}/${result.windows} windows in ` +
          `${result.seconds.toFixed(2)} s = ${throughput.toFixed(1)}/s, ideal ${ideal.toFixed(1)}/s ` +
          `(${row.percent.toFixed(1)} %); per replica ${[...result.perReplica.values()].join('/')}; ` +
          `failed ${result.failed}; the machine busy ${(result.cpu.machine / result.seconds).toFixed(2)} of ` +
          `${availableParallelism()} cores, ${(result.cpu.others / result.seconds).toFixed(2)} of them other work; ` +
          `Redis, calls and µs a window: ${topCommands.join(', ')}`,
      );
    }
  }
  const header = [
    'run',
    'replicas × C',
    'windows',
    'start-up s',
    'seconds',
    'windows/s',
    'ideal',
    '% of ideal',
    'incl. start-up',
    'job ms',
    'fake late p50/p99 ms',
    'CPU replicas',
    'CPU redis',
    'CPU fake',
    'CPU others',
    'replica ms/job',
    'redis ms/job',
  ];
  const cells = (row) => [
    LABELS[row.kind],
    `${row.replicas} × ${row.concurrency}`,
    row.completed,
    row.startUpSeconds.toFixed(2),
    row.seconds.toFixed(2),
    row.throughput.toFixed(1),
    row.ideal.toFixed(1),
    `${row.percent.toFixed(1)} %`,
    `${((100 * (row.completed + row.warmUp)) / (row.startUpSeconds + row.warmUpSeconds + row.seconds) / row.ideal).toFixed(1)} %`,
    row.jobMs.toFixed(0),
    row.late ? `${row.late.p50.toFixed(0)}/${row.late.p99.toFixed(0)}` : '—',
    `${row.cpu.workers.toFixed(2)} s`,
    `${row.cpu.redis.toFixed(2)} s`,
    `${row.cpu.fake.toFixed(2)} s`,
    `${row.cpu.others.toFixed(2)} s`,
    perJobMs(row.cpu.workers, row.completed).toFixed(2),
    perJobMs(row.cpu.redis, row.completed).toFixed(2),
  ];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${cells(row).join(' | ')} |`);
  if (KINDS.length > 1) {
    console.log('\nCPU per window, ms in the replica process + ms in redis-server, from the same run:');
    const WHAT = {
      bullmq: "BullMQ's own",
      'llm-call': 'the LLM call (prompt, SDK, HTTP, answer)',
      analyzer: values.breakdown ? 'the rest of the analyzer' : "the analyzer's own",
    };
    for (const { replicas, concurrency } of configurations) {
      const parts = [];
      let previous = { replica: 0, redis: 0 };
      let total;
      for (const kind of KINDS) {
        const row = rows.find(
          (candidate) =>
            candidate.kind === kind && candidate.replicas === replicas && candidate.concurrency === concurrency,
        );
        total = { replica: perJobMs(row.cpu.workers, row.completed), redis: perJobMs(row.cpu.redis, row.completed) };
        parts.push(
          `${WHAT[kind]} ${(total.replica - previous.replica).toFixed(2)} + ${(total.redis - previous.redis).toFixed(2)}`,
        );
        previous = total;
      }
      console.log(
        `  ${replicas}x${concurrency}: ${parts.join('; ')} (analyzers in all: ${total.replica.toFixed(2)} + ` +
          `${total.redis.toFixed(2)})`,
      );
    }
  }
  const atTarget = rows.filter((row) => row.kind === 'analyzer' && row.replicas === 4);
  console.log(
    [
      '',
      `seconds: from resuming the queue (every replica serving, and warmed up by ${warmUpRounds} × concurrency windows`,
      'each, not counted) to the last window done; start-up: spawn → every replica serving; incl. start-up: every',
      'window, warm-up included, over start-up + warm-up + seconds, as % of ideal; job ms: mean time a job was active.',
      "fake late p50/p99: how far past its first-token delay the fake's first content delta went out (the fake's own",
      'event loop falling behind on this machine, which a remote provider would not add; it counts against the',
      'replicas). CPU, during the measured seconds: replicas (their processes, /proc), redis (INFO used_cpu), fake',
      "(its processes), others (the rest of the machine's busy time: other work on it, the kernel's). Redis, calls",
      'and µs a window: INFO commandstats, the commands that took most time (wall time, so it grows when the machine',
      "is busy; evalsha is BullMQ's scripts, eval the analyzer's rate-limit gate, and the commands a script calls",
      'are counted once in it and once under their own name).',
      `BullMQ alone: replicas of bench/scale-worker.mjs, the analyzers' BullMQ worker (libs/queue's AnalysisConsumer,`,
      `the same options, one connection), whose jobs only wait ${latencyMs} ms: its CPU per window, in the replica and`,
      "in Redis, is BullMQ's own cost (taking the job with its data, the moves to active and to completed with the",
      "next job fetched in the same script, the rate limiter's counter, locks, its event stream, the result stored);",
      "the analyzers' CPU less it is the analyzer's own.",
      ...(values.breakdown
        ? [
            'BullMQ + LLM call: the same worker whose job is the provider call alone, as the analyzer makes it',
            "(libs/providers' OpenAI provider through analyzeWithRepair): no validation, gate, budgets, log or metrics.",
          ]
        : []),
      `target: ≥ 90 % of ideal at 4 replicas: ${
        atTarget.length > 0
          ? atTarget
              .map(
                (row) => `× ${row.concurrency}: ${row.percent.toFixed(1)} % — ${row.percent >= 90 ? 'met' : 'MISSED'}`,
              )
              .join('; ')
          : 'not measured (no 4-replica round)'
      }`,
    ].join('\n'),
  );
} finally {
  redis.disconnect();
  await Promise.all(fakes.map((fake) => fake.close()));
  await redisServer.dispose();
}
