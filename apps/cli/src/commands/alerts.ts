import { closeRedis, connectRedis, createKeyLayout, redactRedisUrl } from '@turbostream/redis';
import { formatAlert } from '../format-alert.js';
import { loadConfigOrExit } from '../runtime/load.js';
import { untilSignal } from '../runtime/shutdown.js';

export const ALERTS_HELP = `turbostream alerts — follow alerts as they are published

Usage: turbostream alerts [--stream ID] [--replay N] [--json]

Options:
  --stream ID   only this stream's alerts (channel turbostream:alerts:ID)
  --replay N    first print the last N alerts from the durable log
  --json        raw JSON, one alert a line
  -h, --help`;

export async function alerts({ stream, replay, json }: { stream?: string; replay: number; json: boolean }): Promise<void> {
  const config = loadConfigOrExit();
  const keys = createKeyLayout(config.namespace);
  const print = (message: string) => process.stdout.write(`${json ? message : formatAlert(message, { color: process.stdout.isTTY === true })}\n`);
  const redis = connectRedis({ ...config.redis, name: 'turbostream:alerts', maxRetriesPerRequest: 1 });
  redis.on('error', (err) => process.stderr.write(`redis: ${err.message}\n`));
  const channel = stream ? keys.alertsChannelOf(stream) : keys.alertsChannel;
  redis.on('message', (_channel: string, message: string) => print(message));
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
  process.stderr.write(`following ${channel} on ${redactRedisUrl(config.redis.nodes.join(','))} (Ctrl-C stops)\n`);
  await untilSignal();
  await closeRedis(redis);
}
