import { closeRedis, createKeyLayout, redactRedisUrl } from '@turbostream/redis';
import { alertPrinter } from '../runtime/alert-output.js';
import { loadConfigOrExit } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';
import { untilSignal } from '../runtime/shutdown.js';

export const ALERTS_HELP = `turbostream alerts — follow alerts as they are published

Usage: turbostream alerts [--stream ID] [--replay N] [--json]

Follows the Redis and namespace of \`turbostream up\` running in this directory
(.turbostream/up.json) when REDIS_URL is unset, else REDIS_URL (default
redis://127.0.0.1:6379). Standard output carries only alerts: readable on a
terminal, one JSON object a line otherwise. Keeps following across a Redis
restart.

Options:
  --stream ID   only this stream's alerts (channel turbostream:alerts:ID)
  --replay N    first print the last N alerts from the durable log
  --json        JSON lines, on a terminal too
  -h, --help`;

/** `turbostream alerts`: prints alerts until Ctrl-C. */
export async function alerts({ stream, replay, json }: { stream?: string; replay: number; json: boolean }): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const config = loadConfigOrExit();
  const target = await commandTarget(config, process.cwd());
  if (target.note) say(target.note);
  const keys = createKeyLayout(target.namespace);
  const where = redactRedisUrl(target.redis.nodes.join(','));
  const stopped = untilSignal();
  const redis = await connectForCommand(target.redis, 'turbostream:alerts', { follow: true });
  const print = alertPrinter({ json });
  const channel = stream ? keys.alertsChannelOf(stream) : keys.alertsChannel;
  redis.on('message', (_channel: string, message: string) => print(message));
  // One line when the connection drops and one when it is back (ioredis subscribes again by itself), not one per attempt.
  let lost = false;
  redis.on('reconnecting', () => {
    if (!lost) say(`lost the connection to Redis at ${where}; reconnecting (alerts published meanwhile are missed; --replay N shows the latest)`);
    lost = true;
  });
  redis.on('ready', () => {
    if (lost) say(`reconnected to ${where}; following ${channel} again`);
    lost = false;
  });
  if (replay > 0) {
    const entries = await redis.xrevrange(keys.alertLog, '+', '-', 'COUNT', replay * (stream ? 20 : 1));
    const messages = entries
      .map(([, fields]) => fields[1] ?? '')
      .filter((message) => !stream || message.includes(`"streamId":"${stream}"`))
      .slice(0, replay)
      .reverse();
    for (const message of messages) print(message);
  }
  await redis.subscribe(channel);
  say(`following ${channel} on ${where} (Ctrl-C stops)`);
  await stopped;
  await closeRedis(redis);
}
