// Fan-out: many WebSocket sources into one ingest, one windower and the analyzers (issue 14, point 2). A process of
// its own (bench/fanout-source.mjs) serves `--sources` loopback sources at `--rate` numbered JSON messages a second
// each (~200 bytes); `turbostream ingest`, `windower` and `--analyzers` × `analyzer` (the built CLI) run against a
// fresh redis-server, one stream per source, windows closed by time every `--window-seconds`, analysed by `openai`
// through a loopback fake answering after `--latency` ms. Measured phases: connected (before any message), active
// (every source sending, for `--seconds`, after a ramp of one window length) and idle (sources connected but silent,
// for `--idle-seconds`, once every window was analysed). Per process: CPU (utime + stime from /proc, as cores) and
// RSS (sampled twice a second, and VmHWM). Redis: commands a second (INFO stats total_commands_processed, which
// counts the calls inside Lua scripts too) and the top commands (INFO commandstats), per stream per second; after the
// idle phase, a MONITOR sample of the same length says which client sent them (by connection name) and which ran
// inside scripts. The bench sends no command of its own during a measured interval. Lost: each source numbers its
// messages; afterwards every number is looked for in the stream (stored), the windower's checkpoints count what was
// windowed, and the fake LLM reads each window's messages out of the prompts (analysed).
// Run with `npm run bench:fanout` (builds first), or after a build:
//   node bench/fanout.mjs --sources 1000 --rate 10 --seconds 30 --idle-seconds 15 [--window-seconds 5]
//     [--latency 50] [--analyzers 2] [--concurrency 32] [--deflate (sources compress: permessage-deflate)]
// Two analyzers by default: on the 2-core development machine one analyzer process took ~90 windows a second whatever
// its concurrency (32 or 64), under the 200 a second of 1,000 streams; the windower then holds windows back
// (WINDOWER_MAX_QUEUED) and the active phase measures a pipeline falling behind. Two took all 200.
// Ingest and the source each hold a socket a source: the bench checks its open-file limit (children inherit it) and
// says how to raise it. Ctrl-C (or a failure) stops every process it started; only SIGKILL of the bench leaves them.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout } from '@turbostream/redis';
import { chatMessages, RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { Queue } from 'bullmq';
import { processCpuSeconds } from './scale-cpu.mjs';
import { startCliProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    sources: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '30' },
    'idle-seconds': { type: 'string', default: '15' },
    'window-seconds': { type: 'string', default: '5' },
    latency: { type: 'string', default: '50' },
    analyzers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    'drain-timeout': { type: 'string', default: '120' },
    deflate: { type: 'boolean', default: false },
  },
});
const sourceCount = Number(values.sources);
const rate = Number(values.rate);
const activeSeconds = Number(values.seconds);
const idleSeconds = Number(values['idle-seconds']);
const windowSeconds = Number(values['window-seconds']);
const latencyMs = Number(values.latency);
const analyzerCount = Number(values.analyzers);
const concurrency = Number(values.concurrency);
const drainTimeoutMs = Number(values['drain-timeout']) * 1000;
const NAMESPACE = 'fanout';
const API_KEY = 'sk-bench-fanout-0123456789';
const MODEL = 'gpt-bench';
const keys = createKeyLayout(NAMESPACE);
const sourceName = (index) => `s${String(index).padStart(4, '0')}`;
const streamIds = Array.from({ length: sourceCount }, (_, index) => sourceName(index));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MB = 1024 * 1024;

/** The soft and hard limits on open files (Node raises its own soft limit to the hard one; children inherit it). */
function openFileLimit() {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return { soft: Number(line?.[1] ?? Number.NaN), hard: Number(line?.[2] ?? Number.NaN) };
}
if (!(Number.isInteger(sourceCount) && sourceCount >= 1 && sourceCount <= 10_000)) {
  console.error('fanout: --sources takes 1 to 10000 (source names are s0000 … s9999)');
  process.exit(1);
}
const neededFiles = sourceCount + 256;
if (openFileLimit().soft < neededFiles) {
  console.error(
    `fanout: ${sourceCount} sources need about ${neededFiles} open files a process (ingest and the source each hold ` +
      `one socket a source); this process may open ${openFileLimit().soft}. Raise it first, e.g. \`ulimit -n ` +
      `${Math.max(neededFiles, 4096)}\` (a hard limit above it may need root or /etc/security/limits.conf).`,
  );
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------------------
// Clean-up: every process this bench starts is stopped on the way out, on failure and on Ctrl-C too.
/** pid → how to stop it gracefully. */
const started = new Map();
const cleanups = [];
let cleaningUp;
/** Directories to remove if the bench exits before its clean-up ran. */
const directories = new Set();
function killAllNow() {
  for (const pid of started.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
}
process.on('exit', killAllNow);
async function cleanUp() {
  cleaningUp ??= (async () => {
    await Promise.all([...started.values()].map((stop) => stop().catch(() => {})));
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(signal, () => {
    process.stderr.write(`\nfanout: ${signal}, stopping every process it started…\n`);
    const force = setTimeout(() => process.exit(130), 20_000);
    force.unref();
    void cleanUp().finally(() => process.exit(130));
  });

/**
 * Tracks a child until it exits, so that it is stopped on the way out: by `stop` when given, else SIGTERM, then
 * SIGKILL after `graceMs`. Keeps the tail of its output (or reads it from `output`).
 */
function track(child, name, { graceMs = 15_000, stop: stopChild, output: outputOf } = {}) {
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-8_000);
  };
  if (!outputOf) {
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (stopChild) await stopChild();
    else if (running()) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    started.delete(child.pid);
  };
  started.set(child.pid, stop);
  return { name, pid: child.pid, child, stop, running, output: outputOf ?? (() => output) };
}

// ---------------------------------------------------------------------------------------------------------------
// /proc readings.
/** VmRSS and VmHWM of a process, in bytes (NaN when it is gone). */
function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN };
  }
}

/** Samples every process's RSS twice a second; `mark()` starts a new interval and returns the one that ended. */
function startSampler(processes) {
  let peaks = new Map();
  const sample = () => {
    for (const { name, pid } of processes) {
      const { rss } = memory(pid);
      if (Number.isFinite(rss)) peaks.set(name, Math.max(peaks.get(name) ?? 0, rss));
    }
  };
  const timer = setInterval(sample, 500);
  return {
    mark() {
      sample();
      const ended = peaks;
      peaks = new Map();
      return ended;
    },
    stop: () => clearInterval(timer),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Redis INFO.
/** total_commands_processed and every command's calls and usec, from one INFO call. */
async function commandSnapshot(redis) {
  const info = await redis.info('stats', 'commandstats');
  const total = Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  const commands = new Map();
  for (const [, name, calls, usec] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    commands.set(name, { calls: Number(calls), usec: Number(usec) });
  return { total, commands };
}

function commandDelta(before, after) {
  const commands = [];
  for (const [name, { calls, usec }] of after.commands) {
    const earlier = before.commands.get(name) ?? { calls: 0, usec: 0 };
    if (calls > earlier.calls) commands.push({ name, calls: calls - earlier.calls, usec: usec - earlier.usec });
  }
  commands.sort((a, b) => b.calls - a.calls);
  // The INFO that took `after` is counted by `after` (it counts itself), the one that took `before` is not.
  return { total: after.total - before.total - 1, commands };
}

// ---------------------------------------------------------------------------------------------------------------
// The pipeline.
const limits = openFileLimit();
const redisServer = await RedisServer.start();
directories.add(redisServer.dir);
cleanups.push(async () => {
  await redisServer.dispose();
  started.delete(redisPid);
});
const redis = redisServer.client();
redis.on('error', () => {}); // a command that fails rejects; the event itself only repeats it
cleanups.push(() => redis.disconnect());
const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
const redisVersion = /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1];
started.set(redisPid, async () => {}); // SIGKILLed on exit if the bench dies before dispose (which stops it) ran

/** Per source, the numbers seen in prompts (1 = seen), and the requests the fake got. */
const analysed = Array.from({ length: sourceCount }, () => new Uint8Array(1024));
let llmRequests = 0;
/**
 * A message's source and number, from its `tradeId` (`s0042-00001234`): the prompt shows messages as table rows
 * (constant fields in the header) or as JSON, and the trade id reads the same in both.
 */
const SEQ_PATTERN = /\bs(\d{4})-(\d{8})\b/g;
const llm = await startFakeOpenAI({
  apiKey: API_KEY,
  handler: (request) => {
    llmRequests += 1;
    const prompt = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
    for (const [, source, seqText] of prompt.matchAll(SEQ_PATTERN)) {
      const index = Number(source);
      const seq = Number(seqText);
      let seen = analysed[index];
      if (seen === undefined) continue;
      if (seq >= seen.length) {
        const grown = new Uint8Array(Math.max(seq + 1, seen.length * 2));
        grown.set(seen);
        analysed[index] = grown;
        seen = grown;
      }
      seen[seq] = 1;
    }
    llm.requests.length = 0; // the fake keeps every request; the bench needs none of them
    return { content: '{"alerts":[]}', firstTokenDelayMs: latencyMs };
  },
});
cleanups.push(() => llm.close());

const source = track(
  fork(
    fileURLToPath(new URL('./fanout-source.mjs', import.meta.url)),
    ['--sources', String(sourceCount), '--rate', String(rate), ...(values.deflate ? ['--deflate'] : [])],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  ),
  'source',
  2_000,
);
const sourceMessages = [];
const sourceWaiters = [];
source.child.on('message', (message) => {
  const waiter = sourceWaiters.findIndex(({ type }) => type === message.type);
  if (waiter >= 0) sourceWaiters.splice(waiter, 1)[0].resolve(message);
  else sourceMessages.push(message);
});
source.child.once('exit', (code, signal) => {
  for (const { reject } of sourceWaiters.splice(0))
    reject(new Error(`the source process exited (${signal ?? code}):\n${source.output()}`));
});
/** The next message of `type` from the source process; fails if it exits first. */
function fromSource(type) {
  const queued = sourceMessages.findIndex((message) => message.type === type);
  if (queued >= 0) return Promise.resolve(sourceMessages.splice(queued, 1)[0]);
  if (!source.running()) return Promise.reject(new Error(`the source process exited:\n${source.output()}`));
  return new Promise((resolve, reject) => sourceWaiters.push({ type, resolve, reject }));
}
async function sourceCounts() {
  source.child.send({ type: 'counts' });
  return fromSource('counts');
}
const { port } = await fromSource('listening');

const dir = mkdtempSync(join(tmpdir(), 'turbostream-fanout-'));
directories.add(dir);
const streamsFile = join(dir, 'streams.yaml');
writeFileSync(
  streamsFile,
  `streams:\n${streamIds
    .map(
      (id) =>
        `  - { id: ${id}, source: { url: 'ws://127.0.0.1:${port}/${id}' }, window: { maxMessages: 100000, ` +
        `maxSeconds: ${windowSeconds} }, analysis: { provider: openai, model: ${MODEL} } }`,
    )
    .join('\n')}\n`,
);

const env = {
  REDIS_URL: redisServer.url,
  TURBOSTREAM_NAMESPACE: NAMESPACE,
  TURBOSTREAM_ENV_FILE: '/dev/null',
  TURBOSTREAM_STREAMS_FILE: streamsFile,
  OPENAI_API_KEY: API_KEY,
  OPENAI_BASE_URL: llm.url,
  ANALYZER_CONCURRENCY: String(concurrency),
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
};
function startService(command, name) {
  const service = startCliProcess(command, { ...env, TURBOSTREAM_INSTANCE_ID: name });
  return track(service.child, name, { stop: service.stop, output: service.errors });
}
const ingest = startService('ingest', 'ingest');
const windower = startService('windower', 'windower');
const analyzers = Array.from({ length: analyzerCount }, (_, index) =>
  startService('analyzer', analyzerCount === 1 ? 'analyzer' : `analyzer-${index + 1}`),
);
const services = [ingest, windower, ...analyzers];
const measured = [
  ...services,
  { name: 'source', pid: source.pid },
  { name: 'redis-server', pid: redisPid },
  { name: 'bench + fake LLM', pid: process.pid },
];

/** Fails at once, with its output, when a service exits before the end. */
function checkServices() {
  for (const service of [...services, source])
    if (!service.running()) throw new Error(`${service.name} exited early:\n${service.output()}`);
}

/** Per stream, one hash field, pipelined (summed). */
async function sumField(keyOf, field) {
  let sum = 0;
  for (let offset = 0; offset < streamIds.length; offset += 500) {
    const pipeline = redis.pipeline();
    for (const id of streamIds.slice(offset, offset + 500)) pipeline.hget(keyOf(id), field);
    for (const [error, value] of await pipeline.exec()) if (!error) sum += Number(value ?? 0);
  }
  return sum;
}

/** CPU seconds of every measured process. */
const cpuNow = () => new Map(measured.map(({ name, pid }) => [name, processCpuSeconds(pid)]));

/** One measured interval: CPU, RSS and Redis commands over `seconds`, with no Redis command of ours in between. */
async function measure(name, seconds, sampler) {
  checkServices();
  const sentBefore = await sourceCounts();
  const requestsBefore = llmRequests;
  sampler.mark();
  const cpuBefore = cpuNow();
  const commandsBefore = await commandSnapshot(redis);
  const startedAt = performance.now();
  await sleep(seconds * 1000);
  const commandsAfter = await commandSnapshot(redis);
  const wall = (performance.now() - startedAt) / 1000;
  const cpuAfter = cpuNow();
  const peaks = sampler.mark();
  const sentAfter = await sourceCounts();
  checkServices();
  const processes = measured.map(({ name: process, pid }) => ({
    name: process,
    cores: (cpuAfter.get(process) - cpuBefore.get(process)) / wall,
    peakRss: peaks.get(process) ?? Number.NaN,
    endRss: memory(pid).rss,
  }));
  const sentSum = (counts) => counts.sent.reduce((sum, count) => sum + count, 0);
  return {
    name,
    wall,
    processes,
    commands: commandDelta(commandsBefore, commandsAfter),
    messagesPerSecond: (sentSum(sentAfter) - sentSum(sentBefore)) / wall,
    windowsPerSecond: (llmRequests - requestsBefore) / wall,
  };
}

/**
 * Who sends the commands: every command Redis runs for `seconds` (MONITOR), by the connection name of the client that
 * sent it (`turbostream:windower`, …), or `inside Lua scripts` for the calls a script made. Run after a measured
 * interval, never during one: MONITOR costs Redis CPU of its own.
 */
async function commandSenders(seconds) {
  const names = new Map();
  for (const line of String(await redis.client('LIST')).split('\n')) {
    const addr = /\baddr=(\S+)/.exec(line)?.[1];
    const name = /\bname=(\S*)/.exec(line)?.[1];
    if (addr) names.set(addr, name || '(no name)');
  }
  const monitor = await redis.monitor();
  const senders = new Map();
  monitor.on('monitor', (_time, args, source) => {
    const sender = source === 'lua' ? 'inside Lua scripts' : (names.get(source) ?? '(connected since)');
    const entry = senders.get(sender) ?? { calls: 0, commands: new Map() };
    entry.calls += 1;
    const command = String(args[0]).toLowerCase();
    entry.commands.set(command, (entry.commands.get(command) ?? 0) + 1);
    senders.set(sender, entry);
  });
  const startedAt = performance.now();
  await sleep(seconds * 1000);
  monitor.disconnect();
  const wall = (performance.now() - startedAt) / 1000;
  return { wall, senders: [...senders].sort((a, b) => b[1].calls - a[1].calls) };
}

const queueConnection = redisServer.client();
queueConnection.on('error', () => {});
const queue = new Queue(analysisQueueName('openai'), { connection: queueConnection, prefix: keys.queuePrefix });
cleanups.push(async () => {
  await queue.close();
  queueConnection.disconnect();
});

const results = {};
let sampler;
try {
  const setUpAt = performance.now();
  await waitFor(
    async () => {
      checkServices();
      return (await sourceCounts()).open === sourceCount;
    },
    { timeoutMs: 120_000, intervalMs: 500, description: `ingest connected to all ${sourceCount} sources` },
  );
  await waitFor(
    async () => {
      checkServices();
      return (await redis.zcard(keys.providerAnalyzers('openai'))) === analyzerCount;
    },
    { timeoutMs: 60_000, intervalMs: 250, description: `${analyzerCount} analyzer(s) serving openai` },
  );
  await waitFor(
    async () => {
      checkServices();
      const pipeline = redis.pipeline();
      for (const id of streamIds) pipeline.exists(keys.windowLease(id));
      return (await pipeline.exec()).every(([error, exists]) => !error && exists === 1);
    },
    { timeoutMs: 60_000, intervalMs: 500, description: `the windower holding all ${sourceCount} streams` },
  );
  const setUpSeconds = (performance.now() - setUpAt) / 1000;
  sampler = startSampler(measured);
  await sleep(2_000);

  console.log(
    `fan-out: ${sourceCount} sources × ${rate} msg/s (~200-byte JSON${values.deflate ? ', permessage-deflate' : ''})` +
      ` → 1 ingest, 1 windower, ${analyzerCount} analyzer${analyzerCount === 1 ? '' : 's'} ` +
      `(ANALYZER_CONCURRENCY=${concurrency}); windows every ${windowSeconds} s; fake OpenAI answering after ` +
      `${latencyMs} ms; Redis ${redisVersion}; ${availableParallelism()} cores (load average ` +
      `${loadavg()[0].toFixed(1)}); open files ${limits.soft}; ` +
      `set-up ${setUpSeconds.toFixed(1)} s`,
  );
  results.connected = await measure('connected, before any message', Math.min(5, idleSeconds), sampler);
  console.log(`  connected (no message yet): measured ${results.connected.wall.toFixed(1)} s`);

  source.child.send({ type: 'start', rampMs: windowSeconds * 1000 });
  // The ramp (sources starting one after another over one window length) and the first windows are not measured.
  await sleep((windowSeconds + 2) * 1000);
  results.active = await measure('active', activeSeconds, sampler);
  console.log(
    `  active: measured ${results.active.wall.toFixed(1)} s, ${Math.round(results.active.messagesPerSecond)} ` +
      `messages/s, ${results.active.windowsPerSecond.toFixed(1)} windows analysed/s`,
  );
  source.child.send({ type: 'stop' });
  // Where the backlog is as the sources stop (read after the measured interval): entries not yet windowed, jobs not
  // yet analysed.
  const backlog = {
    unwindowed: (await sumField(keys.stats, 'stored')) - (await sumField(keys.windowState, 'entries')),
    jobs: await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
  };
  console.log(
    `  backlog as the sources stopped: ${backlog.unwindowed.toLocaleString('en-US')} entries not yet windowed ` +
      `(${(backlog.unwindowed / rate / sourceCount).toFixed(1)} s of messages), jobs ${backlog.jobs.waiting} waiting / ` +
      `${backlog.jobs.active} active / ${backlog.jobs.delayed} delayed / ${backlog.jobs.prioritized} prioritized`,
  );
  const sent = (await sourceCounts()).sent;
  const sentTotal = sent.reduce((sum, count) => sum + count, 0);

  // Drain: every message stored, windowed, and its window analysed.
  const drainAt = performance.now();
  let drained = false;
  try {
    await waitFor(
      async () => {
        checkServices();
        const stored = await sumField(keys.stats, 'stored');
        const windowed = await sumField(keys.windowState, 'entries');
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        const pending = Object.values(counts).reduce((sum, count) => sum + count, 0);
        return stored >= sentTotal && windowed >= stored && pending === 0;
      },
      { timeoutMs: drainTimeoutMs, intervalMs: 1_000, description: 'every message stored, windowed and analysed' },
    );
    drained = true;
  } catch (error) {
    console.log(`  drain: ${error instanceof Error ? error.message : error}`);
  }
  const drainSeconds = (performance.now() - drainAt) / 1000;
  console.log(`  drain: ${drained ? 'done' : 'NOT done'} in ${drainSeconds.toFixed(1)} s after the sources stopped`);
  await sleep(1_000);
  results.idle = await measure('idle', idleSeconds, sampler);
  console.log(`  idle: measured ${results.idle.wall.toFixed(1)} s`);
  results.senders = await commandSenders(idleSeconds);
  const hwm = new Map(measured.map(({ name, pid }) => [name, memory(pid).hwm]));

  // What became of every number: stored (the stream, per number), windowed (the checkpoints), analysed (prompts).
  source.child.send({ type: 'written' });
  const { ranges } = await fromSource('written');
  let sentFinal = 0;
  let stored = 0;
  let duplicated = 0;
  let gaps = 0;
  let lostStored = 0;
  let lostAnalysed = 0;
  for (let offset = 0; offset < sourceCount; offset += 50) {
    const pipeline = redis.pipeline();
    for (const id of streamIds.slice(offset, offset + 50)) pipeline.xrange(keys.messages(id), '-', '+');
    const replies = await pipeline.exec();
    replies.forEach(([error, entries], position) => {
      if (error) throw error;
      const index = offset + position;
      const seen = new Set();
      for (const [, fields] of entries) {
        const field = (name) => fields[fields.indexOf(name) + 1];
        if (field('kind') === 'gap') {
          gaps += 1;
          continue;
        }
        const seq = Number(/"seq":(\d+)/.exec(field('data') ?? '')?.[1] ?? Number.NaN);
        if (seen.has(seq)) duplicated += 1;
        seen.add(seq);
      }
      stored += seen.size;
      for (const [from, to] of ranges[index]) {
        sentFinal += to - from;
        for (let seq = from; seq < to; seq += 1) {
          if (!seen.has(seq)) lostStored += 1;
          if (!analysed[index][seq]) lostAnalysed += 1;
        }
      }
    });
  }
  const windowedEntries = await sumField(keys.windowState, 'entries');
  const windows = await sumField(keys.windowState, 'windows');
  const jobCounts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
  results.loss = {
    sent: sentFinal,
    stored,
    duplicated,
    gaps,
    lostStored,
    windowedEntries,
    windows,
    analysedMessages: sentFinal - lostAnalysed,
    lostAnalysed,
    jobCounts,
    llmRequests,
  };
  results.hwm = hwm;
  results.drained = drained;
  results.drainSeconds = drainSeconds;
  results.sourceFinal = await sourceCounts();
} catch (error) {
  for (const service of [...services, source])
    process.stderr.write(`----- ${service.name} -----\n${service.output().slice(-4_000)}\n`);
  throw error;
} finally {
  sampler?.stop();
  await cleanUp();
}

// ---------------------------------------------------------------------------------------------------------------
// The report.
const fmtMb = (bytes) => (Number.isFinite(bytes) ? `${Math.round(bytes / MB)} MB` : '—');
const fmtCores = (cores) => (Number.isFinite(cores) ? cores.toFixed(2) : '—');
const fmtRate = (value) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));
const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ]
    .join('\n')
    .concat('\n');
const phases = [results.connected, results.active, results.idle];
const byName = (phase, name) => phase.processes.find((process) => process.name === name);

console.log('\nper process: CPU in cores (utime + stime ÷ wall time), RSS sampled every 0.5 s');
console.log(
  table(
    [
      'process',
      'CPU connected',
      'CPU active',
      'CPU idle',
      'RSS connected',
      'RSS peak active',
      'RSS end active',
      'RSS peak idle',
      'RSS end',
      'VmHWM',
    ],
    measured.map(({ name }) => [
      name,
      ...phases.map((phase) => fmtCores(byName(phase, name).cores)),
      fmtMb(byName(results.connected, name).endRss),
      fmtMb(byName(results.active, name).peakRss),
      fmtMb(byName(results.active, name).endRss),
      fmtMb(byName(results.idle, name).peakRss),
      fmtMb(byName(results.idle, name).endRss),
      fmtMb(results.hwm.get(name)),
    ]),
  ),
);

console.log('Redis: commands processed (calls inside Lua scripts included, as total_commands_processed counts them)');
console.log(
  table(
    ['phase', 'seconds', 'messages/s', 'windows analysed/s', 'commands/s', 'per stream per second', 'redis CPU'],
    phases.map((phase) => [
      phase.name,
      phase.wall.toFixed(1),
      fmtRate(phase.messagesPerSecond),
      phase.windowsPerSecond.toFixed(1),
      fmtRate(phase.commands.total / phase.wall),
      (phase.commands.total / phase.wall / sourceCount).toFixed(2),
      fmtCores(byName(phase, 'redis-server').cores),
    ]),
  ),
);
for (const phase of [results.active, results.idle]) {
  console.log(`top Redis commands, ${phase.name} phase`);
  console.log(
    table(
      ['command', 'calls/s', 'per stream per second', 'share', 'µs a call'],
      phase.commands.commands
        .slice(0, 10)
        .map(({ name, calls, usec }) => [
          name,
          fmtRate(calls / phase.wall),
          (calls / phase.wall / sourceCount).toFixed(3),
          `${((100 * calls) / Math.max(1, phase.commands.total)).toFixed(1)} %`,
          (usec / calls).toFixed(1),
        ]),
    ),
  );
}

const { senders } = results;
const sentByClients = senders.senders
  .filter(([sender]) => sender !== 'inside Lua scripts')
  .reduce((sum, [, { calls }]) => sum + calls, 0);
console.log(
  `who sends the idle commands (MONITOR for ${senders.wall.toFixed(1)} s after the idle phase, by the sender's ` +
    'connection name)',
);
console.log(
  table(
    ['sender', 'commands/s', 'per stream per second', 'top commands (per stream per second)'],
    senders.senders.map(([sender, { calls, commands }]) => [
      sender,
      fmtRate(calls / senders.wall),
      (calls / senders.wall / sourceCount).toFixed(3),
      [...commands]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([command, count]) => `${command} ${(count / senders.wall / sourceCount).toFixed(3)}`)
        .join(', '),
    ]),
  ),
);

const loss = results.loss;
console.log('what became of every number sent (per source, by sequence number)');
console.log(
  table(
    [
      'sent',
      'stored',
      'lost (not stored)',
      'duplicated',
      'gap entries',
      'windowed entries',
      'windows',
      'analysed (in a prompt)',
      'lost (not analysed)',
      'jobs completed / failed / pending',
      'LLM requests',
    ],
    [
      [
        loss.sent.toLocaleString('en-US'),
        loss.stored.toLocaleString('en-US'),
        loss.lostStored,
        loss.duplicated,
        loss.gaps,
        loss.windowedEntries.toLocaleString('en-US'),
        loss.windows.toLocaleString('en-US'),
        loss.analysedMessages.toLocaleString('en-US'),
        loss.lostAnalysed,
        `${loss.jobCounts.completed} / ${loss.jobCounts.failed} / ` +
          `${loss.jobCounts.waiting + loss.jobCounts.active + loss.jobCounts.delayed}`,
        loss.llmRequests.toLocaleString('en-US'),
      ],
    ],
  ),
);
console.log(
  `drain: ${results.drained ? '' : 'NOT '}done ${results.drainSeconds.toFixed(1)} s after the sources stopped; ` +
    `source connections ${results.sourceFinal.connections} (${results.sourceFinal.disconnects} closed); in the ` +
    `source: ${results.sourceFinal.dropped} frames dropped by ws (socket closed first), ` +
    `${results.sourceFinal.queued} still queued, ${results.sourceFinal.skipped} sends due with no socket open ` +
    '(sent = reported written to the socket)',
);

const ingestPeak = results.hwm.get('ingest');
const idlePerStream = results.idle.commands.total / results.idle.wall / sourceCount;
const idleSentPerStream = sentByClients / senders.wall / sourceCount;
const lost = loss.lostStored + loss.lostAnalysed + (loss.windowedEntries === loss.stored + loss.gaps ? 0 : 1);
const check = (ok, text) => console.log(`${ok ? '✓' : '✗'} ${text}`);
console.log(`\ngoals (load average at the end: ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)`);
check(ingestPeak <= 300 * MB, `ingest RSS ≤ 300 MB at ${sourceCount} sources: peak ${fmtMb(ingestPeak)} (VmHWM)`);
check(
  idleSentPerStream <= 1,
  `idle streams ≤ 1 Redis command per stream per second: ${idleSentPerStream.toFixed(2)} sent by clients ` +
    `(${idlePerStream.toFixed(2)} with the calls inside Lua scripts; ` +
    `${fmtRate(results.idle.commands.total / results.idle.wall)} commands/s over ${sourceCount} streams; top: ` +
    `${results.idle.commands.commands
      .slice(0, 3)
      .map(({ name, calls }) => `${name} ${(calls / results.idle.wall / sourceCount).toFixed(2)}`)
      .join(', ')})`,
);
check(
  lost === 0,
  `lost = 0: ${loss.lostStored} not stored, ${loss.lostAnalysed} not analysed, windowed entries ` +
    `${loss.windowedEntries === loss.stored + loss.gaps ? '=' : '≠'} stored (${loss.windowedEntries} / ` +
    `${loss.stored + loss.gaps})`,
);
