import { resolve } from 'node:path';
import { formatTarget } from '@turbostream/contracts';
import { closeRedis, connectRedis, createKeyLayout, type RedisClient } from '@turbostream/redis';
import { type Dashboard, startDashboard } from '../dashboard/start.js';
import { DemoFeed } from '../demo/demo-feed.js';
import { demoStream } from '../demo/demo-stream.js';
import { type DemoGuard, guardDemo, runNamespace } from '../demo/demo-guard.js';
import { alertPrinter, alertsAsJson } from '../runtime/alert-output.js';
import { ProcessLifecycle } from '../runtime/lifecycle.js';
import { loadConfigOrExit, rootLogger, UsageError } from '../runtime/load.js';
import { recordLocalInstance, removeLocalInstance } from '../runtime/local-instance.js';
import { type Pipeline, startPipeline } from '../runtime/pipeline.js';
import { findOrStartRedis, type PrivateRedisOptions } from '../runtime/redis-bootstrap.js';
import { redisCliSubscribe } from '../runtime/redis-cli-line.js';
import { followStreamsFile } from '../runtime/streams-reload.js';

/** The options of `turbostream up`. */
export interface UpOptions extends PrivateRedisOptions {
  json: boolean;
  /** Serve the dashboard too (DASHBOARD_HOST:DASHBOARD_PORT, as `turbostream dashboard`). @defaultValue true */
  dashboard?: boolean;
}

/** `turbostream up`: every service in this process, on the Redis it finds or starts. */
export async function up(options: UpOptions): Promise<void> {
  const say = (line: string) => process.stderr.write(`turbostream: ${line}\n`);
  const loaded = loadConfigOrExit();
  const workDir = process.cwd();
  // The logger and the lifecycle depend on neither the Redis nor the streams chosen below.
  const logger = rootLogger(loaded);
  const lifecycle = new ProcessLifecycle({ config: loaded, logger: logger.child({ service: 'up' }) });
  await lifecycle.start();
  const redisHandle = await findOrStartRedis(loaded.redis, workDir, options);
  // The namespace every service uses; the record names it, for `alerts`, `streams` and `providers` to follow.
  // The demo keeps to a namespace of its own on a Redis it did not start, and leaves nothing there for long.
  const runsDemo = loaded.streams.length === 0;
  const shared = redisHandle.privateRedis === undefined;
  const namespace = runNamespace(loaded.namespace, { demo: runsDemo, shared });
  const recorded = recordLocalInstance(workDir, { command: 'up', namespace, redis: redisHandle.record });
  say(redisHandle.description);
  for (const note of [...redisHandle.notes, ...(recorded === true ? [] : [recorded])]) say(note);

  let demo: DemoFeed | undefined;
  let subscriber: RedisClient | undefined;
  let demoGuard: DemoGuard | undefined;
  const quietly = (what: string, close: () => Promise<unknown>) =>
    close().catch((err: unknown) => logger.warn({ err }, `cannot close the ${what}`));
  const closeTheRest = async () => {
    const open = subscriber;
    if (open) await quietly('alerts subscriber', () => closeRedis(open));
    await quietly('demo feed', async () => demo?.close());
    // After the services: the last expiry pass catches what they wrote while stopping.
    await quietly('demo guard', async () => demoGuard?.close());
    // Last: every connection to it is closed by now.
    if (await redisHandle.stop().catch(() => false)) {
      removeLocalInstance(workDir, process.pid);
    } else if (redisHandle.privateRedis) {
      say(
        `the private redis-server (pid ${redisHandle.privateRedis.pid}) did not exit in time; it keeps running, ` +
          `and the next turbostream up here reuses it`,
      );
    }
  };
  let config = {
    ...loaded,
    namespace,
    redis:
      redisHandle.url === loaded.redis.url
        ? { ...loaded.redis, explicit: true }
        : { url: redisHandle.url, nodes: [redisHandle.url], cluster: false, explicit: true },
  };
  const keys = createKeyLayout(config.namespace);
  let pipeline: Pipeline;
  try {
    if (runsDemo) {
      demoGuard = await guardDemo({ redis: config.redis, keys, shared, logger });
      if (shared)
        say(
          `this Redis is not TurboStream's own: the demo runs in the namespace ${namespace}, and its keys expire ` +
            `a day after it stops`,
        );
      demo = new DemoFeed();
      const url = await demo.start();
      config = { ...config, streams: [demoStream(url)] };
      say(
        `no streams file (streams.yaml): watching the built-in demo feed at ${url}, analysed by the heuristic provider`,
      );
      say('copy streams.example.yaml to streams.yaml to watch your own feeds');
    }
    const printAlert = alertPrinter({ json: options.json });
    subscriber = connectRedis({ ...config.redis, name: 'turbostream:up:alerts' });
    subscriber.on('error', (err) => logger.warn({ err }, 'redis connection error'));
    subscriber.on('message', (_channel: string, message: string) => printAlert(message));
    await subscriber.subscribe(keys.alertsChannel);
    pipeline = await startPipeline(config, ['ingest', 'windower', 'analyzer'], logger, lifecycle.metrics);
  } catch (error) {
    await lifecycle.stop(closeTheRest);
    throw error;
  }
  lifecycle.started(pipeline.redis);
  // The dashboard of what this up runs (its streams, the demo's included); without it everything runs all the same.
  let dashboard: Dashboard | undefined;
  if (options.dashboard !== false) {
    const streams = config.streams;
    try {
      dashboard = await startDashboard({
        config,
        redis: config.redis,
        namespace,
        host: config.dashboard.host,
        port: config.dashboard.port,
        logger: logger.child({ service: 'dashboard' }),
        streams: () => streams,
      });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      say(`no dashboard: ${error.message.replace(/^turbostream dashboard: /, '')}`);
    }
  }
  const follow = followStreamsFile({
    config: loaded,
    path: loaded.streamsFile ?? resolve(workDir, 'streams.yaml'),
    ingest: pipeline.ingest,
    windower: pipeline.windower,
    redis: pipeline.redis,
    keys: pipeline.keys,
    logger: logger.child({ service: 'up' }),
    service: 'up',
    ...(runsDemo ? { restartNeeded: 'up runs the built-in demo: restart turbostream up to watch them' } : {}),
  });
  for (const stream of config.streams) {
    say(`watching ${stream.id} → ${stream.targets.map(formatTarget).join(', ')}`);
  }
  const cli = redisCliSubscribe(loaded.redis.explicit ? loaded.redis.url : redisHandle.url, keys.alertsChannel);
  say(
    `alerts ${alertsAsJson(options.json) ? 'go to standard output as JSON lines' : 'appear below'}, and on the ` +
      `Redis channel ${keys.alertsChannel}; to watch them from another terminal:`,
  );
  say(`  ${cli.command}${cli.note ? `    (${cli.note})` : ''}`);
  say(`  npx turbostream alerts${loaded.redis.explicit ? '    (with the same REDIS_URL)' : ''}`);
  if (dashboard)
    say(
      `dashboard: ${dashboard.url}${config.dashboard.token === undefined ? '' : ' (open it once with ?token=<DASHBOARD_TOKEN>)'}`,
    );
  say(`Ctrl-C stops${redisHandle.privateRedis ? ' everything, the private redis-server last' : ''}`);

  const signal = await lifecycle.stopRequested();
  say(`${signal}: stopping; work in flight has ${config.shutdownTimeoutMs} ms to finish (again to force)`);
  await lifecycle.stop(async () => {
    await dashboard?.close();
    await follow.close();
    await pipeline.close();
    await closeTheRest();
  });
  say('stopped');
}
