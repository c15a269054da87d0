/**
 * The fault scenarios of `npm run chaos` (issue 8). Each runs on a fresh
 * pipeline (redis-server, numbered source, ingest, windower, analyzer as
 * processes) with the steady feed running unless it says otherwise, then the
 * checker counts what was sent, stored, lost, duplicated, windowed, analysed
 * and alerted. Waits are on conditions; the explicit durations below are the
 * scenarios' own timelines.
 */
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@turbostream/testkit';
import { Redis } from 'ioredis';
import { secretOccurrences } from '../support/secret-spellings.js';
import { type DropRule, type RespCommand, TcpProxy } from '../support/tcp-proxy.js';
import type { ChaosPipeline } from './pipeline.js';
import { FEED_RATE, type Scenario, type ScenarioContext } from './scenario.js';

/** How long Redis stays down in the outage scenario. */
const OUTAGE_MS = 12_000;
/** How long Redis is down between SHUTDOWN and its restart in the shutdown scenario. */
const SHUTDOWN_DOWN_MS = 2_000;
/** Messages of the flood, sent as fast as ingest's socket takes them. */
const FLOOD_MESSAGES = 20_000;
/** How many times the windower is SIGKILLed. */
const WINDOWER_KILLS = 3;
/** The services' Redis password, and the one Redis is switched to for a while. */
const SERVICE_PASSWORD = 'chaos-Pw-S3cret-41';
const OTHER_PASSWORD = 'chaos-Other-S3cret-42';
/** What `appendfsync everysec` may lose when the machine (not only redis-server) goes down. */
const AOF_LOST_MS = 1_000;
/** Redis configured as production should be: AOF, fsync every second. */
const AOF_EVERYSEC = { appendOnly: true, args: ['--appendfsync', 'everysec'] };

/** An append batch of ingest: a script call whose first key is a source stream. */
const isAppendBatch = (command: RespCommand): boolean =>
  /^eval(sha)?$/i.test(command[0] ?? '') && (command[3] ?? '').endsWith(':messages');
/** Any script call (BullMQ's commands, the windower's reads and commits, ingest's appends). */
const isScript = (command: RespCommand): boolean => /^eval(sha)?$/i.test(command[0] ?? '');

/** Waits until the stream holds `entries` more entries: the feed has run on for a while, through whatever happened. */
async function runOn(pipeline: ChaosPipeline, entries = 400): Promise<void> {
  await pipeline.waitForMore(entries, 30_000);
}

/** Sends SHUTDOWN (Redis writes its AOF and exits) and waits until the process is gone. */
async function shutdownRedis(pipeline: ChaosPipeline): Promise<void> {
  // A client of its own that neither retries nor re-sends: SHUTDOWN gets no reply.
  const admin = new Redis({
    host: '127.0.0.1',
    port: pipeline.redisServer.port,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    autoResendUnfulfilledCommands: false,
  });
  admin.on('error', () => {});
  await admin.call('SHUTDOWN').catch(() => undefined);
  admin.disconnect();
  await waitFor(() => !pipeline.redisServer.running, {
    timeoutMs: 10_000,
    description: 'redis-server to exit after SHUTDOWN',
  });
}

/** Baseline: no fault. Not in `npm test`: every other scenario runs the same pipeline, and more. */
const baseline: Scenario = {
  id: 'baseline',
  fault: 'none (control)',
  quick: false,
  runMs: 40_000,
  async run({ pipeline, feed }) {
    await pipeline.startAll();
    feed();
    await runOn(pipeline, 1_000);
  },
};

const analyzerSigkill: Scenario = {
  id: 'analyzer-sigkill',
  fault: 'analyzer SIGKILLed while it holds jobs (model answers in 1.5 s); a new one starts',
  // Not in `npm test`: test/pipeline.e2e.test.ts kills an analyzer holding jobs there.
  quick: false,
  runMs: 60_000,
  options: { llmDelayMs: 1_500 },
  async run({ pipeline, feed, note }) {
    await pipeline.startAll();
    feed();
    const held = await waitFor(
      async () => {
        const jobs = await pipeline.heldJobs('analyzer-1');
        return jobs >= 2 ? jobs : undefined;
      },
      { timeoutMs: 30_000, description: 'analyzer-1 to hold jobs' },
    );
    await pipeline.running('analyzer').kill();
    note(`killed holding ${held} jobs`);
    pipeline.llmDelayMs = 20;
    pipeline.start('analyzer');
    await runOn(pipeline);
  },
  verify(counts, { expect, note }) {
    note(`${counts.restartedJobs} jobs ran again`);
    expect(counts.restartedJobs > 0, 'no job was taken over from the killed analyzer');
  },
};

const windowerSigkill: Scenario = {
  id: 'windower-sigkill-x3',
  fault: `windower SIGKILLed ${WINDOWER_KILLS} times; each time a new instance takes over after the lease (3 s)`,
  quick: true,
  runMs: 90_000,
  async run({ pipeline, feed, note }) {
    await pipeline.startAll();
    feed();
    for (let kill = 0; kill < WINDOWER_KILLS; kill += 1) {
      await pipeline.waitForWindows(5);
      await pipeline.running('windower').kill();
      pipeline.start('windower');
    }
    await pipeline.waitForWindows(10, 40_000);
    note(`${WINDOWER_KILLS} kills`);
  },
};

/** Ingest stopped by `how` and started again while the source keeps sending. */
function ingestRestart(how: 'SIGTERM' | 'SIGKILL'): Scenario {
  return {
    id: `ingest-${how.toLowerCase()}`,
    fault:
      `ingest ${how === 'SIGTERM' ? 'stopped (SIGTERM)' : 'SIGKILLed'} and started again, twice, the source ` +
      `still sending`,
    quick: true,
    runMs: 60_000,
    async run({ pipeline, feed, expect }) {
      await pipeline.startAll();
      feed();
      for (let restart = 0; restart < 2; restart += 1) {
        await runOn(pipeline);
        const ingest = pipeline.running('ingest');
        if (how === 'SIGTERM') expect((await ingest.stop()) === 0, `${ingest.name} did not exit 0 on SIGTERM`);
        else await ingest.kill();
        await pipeline.restartIngest();
      }
      await runOn(pipeline);
    },
    verify(counts, { expect, note }) {
      note(`${counts.gaps} gap entries`);
      expect(counts.gaps >= 2, `${counts.gaps} gap entries for 2 restarts`);
    },
  };
}

/** Starts a proxy in front of Redis that loses replies as `rule` says; closed at the end. */
async function lossyProxy(context: ScenarioContext, rule: DropRule): Promise<TcpProxy> {
  const proxy = await TcpProxy.start({ port: context.pipeline.redisServer.port });
  context.onDispose(() => proxy.close());
  proxy.dropReplies(rule);
  return proxy;
}

const lostReplies: Scenario = {
  id: 'lost-replies',
  fault:
    'replies lost through a TCP proxy: ingest appends, windower and analyzer scripts (connection closed, command ' +
    're-sent)',
  // Not in `npm test`: test/ingest-faults.e2e.test.ts drops append replies there.
  quick: false,
  runMs: 60_000,
  async run(context) {
    const { pipeline, feed, note, expect } = context;
    const proxies = {
      ingest: await lossyProxy(context, { matches: isAppendBatch, count: 10, every: 4 }),
      windower: await lossyProxy(context, { matches: isScript, count: 6, every: 7 }),
      analyzer: await lossyProxy(context, { matches: isScript, count: 6, every: 9 }),
    };
    await pipeline.startAll({
      ingest: { REDIS_URL: proxies.ingest.url, INGEST_BATCH_SIZE: '20' },
      windower: { REDIS_URL: proxies.windower.url },
      analyzer: { REDIS_URL: proxies.analyzer.url },
    });
    feed();
    await waitFor(() => Object.values(proxies).every((proxy) => proxy.dropped >= 6), {
      timeoutMs: 40_000,
      description: 'replies lost on every proxy',
    }).catch(() => undefined);
    await runOn(pipeline);
    const dropped = Object.entries(proxies).map(([name, proxy]) => `${name} ${proxy.dropped}`);
    note(`replies lost: ${dropped.join(', ')}`);
    expect(proxies.ingest.dropped >= 8, `only ${proxies.ingest.dropped} append replies lost`);
  },
};

const redisShutdown: Scenario = {
  id: 'redis-shutdown',
  fault: `Redis SHUTDOWN (AOF, everysec), restarted ${SHUTDOWN_DOWN_MS / 1000} s later`,
  quick: true,
  runMs: 60_000,
  options: { redis: AOF_EVERYSEC },
  async run({ pipeline, feed }) {
    await pipeline.startAll();
    feed();
    await runOn(pipeline);
    await shutdownRedis(pipeline);
    await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_DOWN_MS));
    await pipeline.redisServer.restart();
    await runOn(pipeline);
  },
  verify(counts, { expect }) {
    expect(counts.lostMarked + counts.lostSilent === 0, 'a clean SHUTDOWN lost messages');
  },
};

const redisKill9: Scenario = {
  id: 'redis-kill9-aof',
  fault: 'redis-server SIGKILLed (AOF, everysec) and restarted at once',
  quick: true,
  runMs: 60_000,
  options: { redis: AOF_EVERYSEC },
  async run({ pipeline, feed, allowSilentLoss }) {
    // What everysec may lose is the last second of acknowledged writes, and only when the OS goes down with the
    // process (the page cache holds what was written): a kill of the process alone is expected to lose nothing
    // (redis-aof-last-second simulates the OS going down too).
    allowSilentLoss(FEED_RATE, 'appendfsync everysec may lose the last second of acknowledged writes');
    await pipeline.startAll();
    feed();
    await runOn(pipeline);
    await pipeline.redisServer.kill();
    await pipeline.redisServer.restart();
    await runOn(pipeline);
  },
};

const redisAofLastSecond: Scenario = {
  id: 'redis-aof-last-second',
  fault:
    `redis-server SIGKILLed (AOF, everysec) and restarted with the AOF as it was ${AOF_LOST_MS / 1000} s ` +
    `before: an OS crash, simulated`,
  quick: true,
  runMs: 60_000,
  options: { redis: AOF_EVERYSEC },
  async run({ pipeline, feed, note, allowSilentLoss, allowChannelDuplicates }) {
    const aof = join(pipeline.redisServer.dir, 'appendonlydir');
    const aside = join(pipeline.redisServer.dir, 'appendonlydir-aside');
    await pipeline.startAll();
    feed();
    await pipeline.waitForWindows(10);
    // What the disk holds when the OS dies: the AOF up to the last fsync (the copy may end inside a command:
    // Redis loads a truncated AOF up to its last whole command, as after a real crash). Everything Redis had
    // acknowledged before this XLEN is in the file by then (Redis writes the AOF before it replies); what was still
    // on its way (ingest's buffer, a batch in flight) is not, and may be lost with the last second too.
    const storedAtCopy = await pipeline.streamLength();
    cpSync(aof, aside, { recursive: true });
    const drawnAtCopy = pipeline.source.drawn;
    await new Promise((resolve) => setTimeout(resolve, AOF_LOST_MS));
    await pipeline.redisServer.kill();
    const drawnAtKill = pipeline.source.drawn;
    rmSync(aof, { recursive: true, force: true });
    cpSync(aside, aof, { recursive: true });
    await pipeline.redisServer.restart();
    allowSilentLoss(
      drawnAtKill - Math.min(storedAtCopy, drawnAtCopy),
      'appendfsync everysec loses up to the last second of acknowledged writes when the OS goes down (and what ' +
        'was on its way to Redis when the disk was copied)',
    );
    allowChannelDuplicates(
      'alerts published in the lost second are published again when their windows are analysed again (README)',
    );
    note(
      `${(drawnAtKill - drawnAtCopy).toLocaleString('en')} drawn in the lost second, ` +
        `${(drawnAtCopy - storedAtCopy).toLocaleString('en')} on their way to Redis at the copy`,
    );
    await runOn(pipeline, 600);
  },
};

const redisOutage: Scenario = {
  id: 'redis-outage',
  fault: `Redis down for ${OUTAGE_MS / 1000} s (SHUTDOWN, AOF), the source still sending`,
  quick: false,
  runMs: 90_000,
  options: { redis: AOF_EVERYSEC },
  async run({ pipeline, feed, note }) {
    await pipeline.startAll();
    feed();
    await runOn(pipeline);
    await shutdownRedis(pipeline);
    const downFrom = pipeline.source.sent.size;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    note(`${(pipeline.source.sent.size - downFrom).toLocaleString('en')} sent while Redis was down`);
    await pipeline.redisServer.restart();
    await runOn(pipeline);
  },
  verify(counts, { expect }) {
    expect(
      counts.lostMarked + counts.lostSilent === 0,
      'messages were lost across the outage (ingest buffers up to 10,000)',
    );
  },
};

const redisOlderSnapshot: Scenario = {
  id: 'redis-older-snapshot',
  fault: 'Redis restored from an older snapshot (SAVE, RDB copied aside, run on, kill -9, RDB put back, restart)',
  // Not in `npm test`: test/redis-data-loss.e2e.test.ts restores an older snapshot there.
  quick: false,
  runMs: 120_000,
  // Longer than the restart: the windower keeps its lease (and its memory of what it sent) across it.
  options: { redis: { args: ['--dbfilename', 'dump.rdb'] }, env: { WINDOWER_LEASE_MS: '15000' } },
  async run({ pipeline, feed, note, allowSilentLoss, allowChannelDuplicates }) {
    await pipeline.startAll();
    feed();
    await pipeline.waitForWindows(10);
    const admin = pipeline.client();
    const drawnAtSnapshot = pipeline.source.drawn;
    await admin.save();
    const snapshot = join(pipeline.redisServer.dir, 'snapshot.rdb');
    copyFileSync(join(pipeline.redisServer.dir, 'dump.rdb'), snapshot);
    await pipeline.waitForWindows(15);
    await pipeline.redisServer.kill();
    const drawnAtKill = pipeline.source.drawn;
    copyFileSync(snapshot, join(pipeline.redisServer.dir, 'dump.rdb'));
    await pipeline.redisServer.restart();
    // What Redis lost is gone: ingest keeps no copy, and nothing knows where to put a gap entry.
    allowSilentLoss(
      drawnAtKill - drawnAtSnapshot,
      'the messages stored after the snapshot are lost with it (README, When Redis loses acknowledged writes)',
    );
    allowChannelDuplicates(
      'alerts published after the snapshot are published again when their windows are analysed again (README)',
    );
    note(`${(drawnAtKill - drawnAtSnapshot).toLocaleString('en')} drawn between snapshot and kill`);
    await runOn(pipeline, 600);
  },
};

/** How many times the services' output reports a refused password. */
const refusals = (output: string): number => output.split('WRONGPASS').length - 1;

const wrongPassword: Scenario = {
  id: 'wrong-password',
  fault: "Redis's password changed under the running services (connections killed), then changed back",
  quick: true,
  runMs: 60_000,
  options: { password: SERVICE_PASSWORD },
  async run({ pipeline, feed, note, expect }) {
    await pipeline.startAll();
    feed();
    await runOn(pipeline);
    const admin: Redis = pipeline.client();
    await admin.config('SET', 'requirepass', OTHER_PASSWORD);
    await admin.call('CLIENT', 'KILL', 'USER', 'default');
    await waitFor(
      () => pipeline.services.filter((service) => service.running).every((service) => refusals(service.output) >= 2),
      {
        timeoutMs: 30_000,
        description: 'every service to report the refused password',
      },
    );
    await admin.config('SET', 'requirepass', SERVICE_PASSWORD);
    await runOn(pipeline);
    const outputs = pipeline.outputs();
    const leaks = secretOccurrences(outputs, SERVICE_PASSWORD) + secretOccurrences(outputs, OTHER_PASSWORD);
    note(`password in output: ${leaks} times (${refusals(outputs)} WRONGPASS reports)`);
    expect(leaks === 0, `the password is in the services' output ${leaks} times`);
  },
  verify(counts, { expect }) {
    expect(
      counts.lostMarked + counts.lostSilent === 0,
      'messages were lost while Redis refused the password (ingest buffers)',
    );
  },
};

const flappingSource: Scenario = {
  id: 'flapping-source',
  fault: 'the source drops its connections 3 times and goes mute (no pongs, no data) twice; ping every 500 ms',
  quick: true,
  runMs: 60_000,
  options: { env: { INGEST_PING_INTERVAL_MS: '500' } },
  async run({ pipeline, feed, note }) {
    const { source } = pipeline;
    await pipeline.startAll();
    feed();
    for (let drop = 0; drop < 3; drop += 1) {
      await runOn(pipeline, 300);
      const connections = source.connections;
      source.dropConnections();
      await source.waitForConnection(connections, 15_000);
    }
    for (let mute = 0; mute < 2; mute += 1) {
      await runOn(pipeline, 300);
      const connections = source.connections;
      source.mute();
      await source.waitForConnection(connections, 15_000);
      source.dropMuted();
    }
    await runOn(pipeline, 300);
    note(`${source.connections} connections`);
  },
  verify(counts, { expect, note }) {
    note(`${counts.gaps} gap entries`);
    expect(counts.gaps >= 5, `${counts.gaps} gap entries for 5 reconnects`);
  },
};

const flood: Scenario = {
  id: 'flood',
  fault: `a burst of ${FLOOD_MESSAGES.toLocaleString('en')} messages, as fast as the socket takes them`,
  quick: true,
  runMs: 90_000,
  async run({ pipeline, note }) {
    await pipeline.startAll();
    const started = performance.now();
    const sent = await pipeline.source.emit(FLOOD_MESSAGES);
    note(`${sent.toLocaleString('en')} sent in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  },
};

/** Every scenario, in the order the suite runs them. */
export const SCENARIOS: readonly Scenario[] = [
  baseline,
  analyzerSigkill,
  windowerSigkill,
  ingestRestart('SIGTERM'),
  ingestRestart('SIGKILL'),
  lostReplies,
  redisShutdown,
  redisKill9,
  redisAofLastSecond,
  redisOutage,
  redisOlderSnapshot,
  wrongPassword,
  flappingSource,
  flood,
];
