import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatTarget } from '@turbostream/contracts';
import { closeRedis, connectRedis, createKeyLayout } from '@turbostream/redis';
import { demoStream } from '../demo/demo-stream.js';
import { type DemoGuard, guardDemo, runNamespace } from '../demo/demo-guard.js';
import { CLI_MAIN, cliNodeFlags } from '../node-flags.js';
import { alertPrinter, alertsAsJson } from '../runtime/alert-output.js';
import { loadConfigOrExit, rootLogger, UsageError } from '../runtime/load.js';
import { recordLocalInstance, removeLocalInstance } from '../runtime/local-instance.js';
import { findOrStartRedis, type PrivateRedisOptions } from '../runtime/redis-bootstrap.js';
import { redisCliSubscribe } from '../runtime/redis-cli-line.js';
import { untilSignal } from '../runtime/shutdown.js';
import { streamsFileText } from '../stack/streams-file-text.js';
import { childPrefix } from '../stack/line-prefixer.js';
import { freePort, waitForListener } from '../runtime/ports.js';
import { planStack } from '../stack/stack-plan.js';
import { SupervisedChild } from '../stack/supervised-child.js';

export interface StackOptions {
  analyzers: number;
  demo: boolean;
  demoRate: number;
  json: boolean;
}

function wholeNumber(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new UsageError(`${name} expects a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Validates the command line of `turbostream stack`. */
export function stackOptions(raw: {
  analyzers?: string | undefined;
  demoRate?: string | undefined;
  demo: boolean;
  json: boolean;
}): StackOptions {
  return {
    analyzers: wholeNumber(raw.analyzers, '--analyzers', 2, 1, 64),
    demoRate: wholeNumber(raw.demoRate, '--demo-rate', 20, 1, 100_000),
    demo: raw.demo,
    json: raw.json,
  };
}

const SLACK_MS = 5_000;

/** `turbostream stack`: the services as supervised processes, until Ctrl-C. */
export async function stack(options: StackOptions, redisOptions: PrivateRedisOptions = {}): Promise<void> {
  const say = (line: string) => process.stderr.write(`${childPrefix('stack', 0, false)}${line}\n`);
  const signalled = untilSignal(() => {
    say('second signal: killing every process now');
    process.exit(130);
  });
  const loaded = loadConfigOrExit();
  const cwd = process.cwd();
  const redisHandle = await findOrStartRedis(loaded.redis, cwd, redisOptions);
  // As with `up`: the demo keeps to a namespace of its own on a Redis this command did not start.
  const runsDemo = options.demo || loaded.streams.length === 0;
  const shared = redisHandle.privateRedis === undefined;
  const namespace = runNamespace(loaded.namespace, { demo: runsDemo, shared });
  const recorded = recordLocalInstance(cwd, { command: 'stack', namespace, redis: redisHandle.record });
  say(redisHandle.description);
  for (const note of [...redisHandle.notes, ...(recorded === true ? [] : [recorded])]) say(note);
  const common: Record<string, string> = {};
  if (!loaded.redis.explicit) common.REDIS_URL = redisHandle.url;
  if (loaded.log.format === 'auto' && process.stderr.isTTY) common.LOG_FORMAT = 'pretty';
  if (namespace !== loaded.namespace) common.TURBOSTREAM_NAMESPACE = namespace;

  const runDir = join(cwd, '.turbostream', 'stack', String(process.pid));
  let streams = loaded.streams;
  let demo: { port: number; rate: number } | undefined;
  if (runsDemo) {
    demo = { port: await freePort(), rate: options.demoRate };
    streams = [demoStream(`ws://127.0.0.1:${demo.port}`)];
    mkdirSync(runDir, { recursive: true });
    common.TURBOSTREAM_STREAMS_FILE = join(runDir, 'demo-streams.yaml');
    writeFileSync(
      common.TURBOSTREAM_STREAMS_FILE,
      streamsFileText(streams, 'written by `turbostream stack` for the built-in demo feed; removed when it stops'),
    );
    say(
      `${options.demo ? '--demo' : 'no streams file (streams.yaml)'}: watching the built-in demo feed, analysed ` +
        `by the heuristic provider`,
    );
  }

  const specs = planStack({
    analyzers: options.analyzers,
    command: process.execPath,
    cliArgs: [...cliNodeFlags(), CLI_MAIN],
    env: process.env,
    common,
    ...(demo ? { demo } : {}),
    healthPort: loaded.health.port,
  });
  const color = process.stderr.isTTY === true;
  const children = specs.map(
    (spec, index) =>
      new SupervisedChild({
        spec,
        cwd,
        prefix: childPrefix(spec.name, index + 1, color),
        // Standard output is for alerts only.
        stdout: (text) => process.stderr.write(text),
        stderr: (text) => process.stderr.write(text),
        report: say,
      }),
  );
  // Whatever ends this process, no child outlives it.
  process.on('exit', () => {
    for (const child of children) child.kill();
  });

  const keys = createKeyLayout(namespace);
  // A cluster named by REDIS_URL stays a cluster; a private redis-server is one server.
  const redisTarget =
    redisHandle.url === loaded.redis.url
      ? loaded.redis
      : { url: redisHandle.url, nodes: [redisHandle.url], cluster: false };
  let demoGuard: DemoGuard | undefined;
  if (runsDemo) {
    try {
      demoGuard = await guardDemo({
        redis: redisTarget,
        keys,
        shared,
        logger: rootLogger(loaded).child({ service: 'stack' }),
      });
    } catch (error) {
      if (await redisHandle.stop().catch(() => false)) removeLocalInstance(cwd, process.pid);
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
    if (shared)
      say(
        `this Redis is not TurboStream's own: the demo runs in the namespace ${namespace}, and its keys expire a ` +
          `day after it stops`,
      );
  }
  const subscriber = connectRedis({ ...redisTarget, name: 'turbostream:stack:alerts' });
  subscriber.on('error', (err: Error) =>
    process.stderr.write(`${childPrefix('stack', 0, false)}alerts subscription: ${err.message}\n`),
  );
  const printAlert = alertPrinter({ json: options.json });
  subscriber.on('message', (_channel: string, message: string) => printAlert(message));
  await subscriber.subscribe(keys.alertsChannel);

  const [feed, services] = demo ? [children[0], children.slice(1)] : [undefined, children];
  if (feed && demo) {
    feed.start();
    if (!(await waitForListener(demo.port, 10_000)))
      say(`the demo feed does not listen on port ${demo.port} yet; ingest will keep trying`);
  }
  for (const child of services) child.start();
  for (const stream of streams) say(`watching ${stream.id} → ${stream.targets.map(formatTarget).join(', ')}`);
  const watch = redisCliSubscribe(loaded.redis.explicit ? loaded.redis.url : redisHandle.url, keys.alertsChannel);
  say(
    `${options.analyzers} analyzer${options.analyzers === 1 ? '' : 's'}; ` +
      `alerts ${alertsAsJson(options.json) ? 'go to standard output as JSON lines' : 'appear below'}, and on the ` +
      `Redis channel ${keys.alertsChannel}; to watch them from another terminal:`,
  );
  say(`  ${watch.command}${watch.note ? `    (${watch.note})` : ''}`);
  say(`  npx turbostream alerts${loaded.redis.explicit ? '    (with the same REDIS_URL)' : ''}`);
  say('Ctrl-C stops');

  const signal = await signalled;
  const deadlineMs = loaded.shutdownTimeoutMs + SLACK_MS;
  say(`${signal}: stopping ${children.length} processes (up to ${Math.round(deadlineMs / 1000)} s; again to force)`);
  // Every service drains on its own; the demo feed goes last so ingest does not see it vanish.
  const outcomes = await Promise.all(
    services.map(async (child) => [child.name, await child.stop(deadlineMs)] as const),
  );
  if (feed) outcomes.push([feed.name, await feed.stop(deadlineMs)]);
  const killed = outcomes.filter(([, outcome]) => outcome === 'killed').map(([name]) => name);
  if (killed.length > 0) say(`killed after ${Math.round(deadlineMs / 1000)} s without exiting: ${killed.join(', ')}`);
  await closeRedis(subscriber);
  await demoGuard
    ?.close()
    .catch((err: unknown) => say(`demo guard: ${err instanceof Error ? err.message : String(err)}`));
  // Last: every process using it has stopped.
  if (await redisHandle.stop().catch(() => false)) removeLocalInstance(cwd, process.pid);
  else if (redisHandle.privateRedis)
    say(
      `the private redis-server (pid ${redisHandle.privateRedis.pid}) did not exit in time; it keeps running, ` +
        `and the next turbostream up here reuses it`,
    );
  rmSync(runDir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(runDir)); // only when no other stack runs from this directory
  } catch {}
  say('stopped');
}
