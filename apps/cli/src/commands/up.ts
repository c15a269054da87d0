import { createKeyLayout, connectRedis, closeRedis } from '@turbostream/redis';
import { DemoFeed } from '../demo/demo-feed.js';
import { demoStream } from '../demo/demo-stream.js';
import { formatAlert } from '../format-alert.js';
import { loadConfigOrExit, rootLogger } from '../runtime/load.js';
import { ProcessLifecycle } from '../runtime/lifecycle.js';
import { startPipeline } from '../runtime/pipeline.js';
import { findOrStartRedis } from '../runtime/redis-bootstrap.js';

export const UP_HELP = `turbostream up — run ingest, windower and analyzer together in this process

Usage: turbostream up [--json]

Uses REDIS_URL (default redis://127.0.0.1:6379). When REDIS_URL is unset and
nothing answers there, starts a private redis-server from PATH, keeping its
data under .turbostream/. Without a streams file it watches the built-in demo
feed, analysed by the built-in heuristic provider. Alerts are printed as they
come; they are also on the Redis channel turbostream:alerts.

Options:
  --json    print alerts as raw JSON lines
  -h, --help

HEALTH_PORT serves /healthz and /readyz. Ctrl-C or SIGTERM stops taking work
and lets work in flight finish within SHUTDOWN_TIMEOUT_MS; a second one stops at once.`;

export async function up({ json }: { json: boolean }): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const loaded = loadConfigOrExit();
  // The logger and the lifecycle depend on neither the Redis nor the streams chosen below.
  const logger = rootLogger(loaded);
  const lifecycle = new ProcessLifecycle({ config: loaded, logger: logger.child({ service: 'up' }) });
  await lifecycle.start();
  const redisHandle = await findOrStartRedis(loaded.redis, process.cwd());
  say(`turbostream: ${redisHandle.description}`);
  let demo: DemoFeed | undefined;
  let config = { ...loaded, redis: redisHandle.url === loaded.redis.url ? { ...loaded.redis, explicit: true } : { url: redisHandle.url, nodes: [redisHandle.url], cluster: false, explicit: true } };
  if (loaded.streams.length === 0) {
    demo = new DemoFeed();
    const url = await demo.start();
    config = { ...config, streams: [demoStream(url)] };
    say(`turbostream: no streams file (streams.yaml): watching the built-in demo feed at ${url}, analysed by the heuristic provider`);
    say('turbostream: copy streams.example.yaml to streams.yaml to watch your own feeds');
  }
  const keys = createKeyLayout(config.namespace);
  const subscriber = connectRedis({ ...config.redis, name: 'turbostream:up:alerts' });
  subscriber.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  subscriber.on('message', (_channel: string, message: string) => say(json ? message : formatAlert(message, { color: process.stdout.isTTY === true })));
  await subscriber.subscribe(keys.alertsChannel);

  const quietly = (what: string, close: () => Promise<unknown>) => close().catch((err: unknown) => logger.warn({ err }, `cannot close the ${what}`));
  const closeTheRest = async () => {
    await quietly('alerts subscriber', () => closeRedis(subscriber));
    await quietly('demo feed', async () => demo?.close());
    await quietly('redis-server', () => redisHandle.stop());
  };
  const pipeline = await startPipeline(config, ['ingest', 'windower', 'analyzer'], logger).catch(async (error: unknown) => {
    await lifecycle.stop(closeTheRest);
    throw error;
  });
  lifecycle.started(pipeline.redis);
  for (const stream of config.streams) {
    say(`turbostream: watching ${stream.id} → ${stream.targets.map((target) => `${target.provider}/${target.model}`).join(', ')}`);
  }
  say(`turbostream: alerts appear below and on the Redis channel ${keys.alertsChannel} (Ctrl-C stops)`);

  const signal = await lifecycle.stopRequested();
  say(`turbostream: ${signal}: stopping; work in flight has ${config.shutdownTimeoutMs} ms to finish (again to force)`);
  await lifecycle.stop(async () => {
    await pipeline.close();
    await closeTheRest();
  });
}
