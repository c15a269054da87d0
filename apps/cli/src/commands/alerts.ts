import { createKeyLayout, type RedisClient, redactRedisUrl } from '@turbostream/redis';
import { alertPrinter } from '../runtime/alert-output.js';
import { loadConfigOrExit } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';
import { untilSignal } from '../runtime/shutdown.js';

/** The id and alert JSON of each entry of the durable alert log (`XADD … alert <json>`). */
function logAlerts(entries: ReadonlyArray<[id: string, fields: string[]]>): Array<{ id: string; alert: string }> {
  return entries.map(([id, fields]) => ({ id, alert: fields[fields.indexOf('alert') + 1] ?? '' }));
}

/** True when `alert` (JSON) belongs to `stream`, or no stream was asked for. */
function ofStream(alert: string, stream: string | undefined): boolean {
  if (stream === undefined) return true;
  try {
    return (JSON.parse(alert) as { streamId?: unknown }).streamId === stream;
  } catch {
    return false;
  }
}

/**
 * `turbostream alerts`: prints alerts until Ctrl-C. It reads the durable alert
 * log (a blocking `XREAD` from the last entry it printed), not the pub/sub
 * channel, so an alert published while its connection was down is printed
 * once it is back, and none twice.
 */
export async function alerts({
  stream,
  replay,
  json,
}: {
  stream?: string;
  replay: number;
  json: boolean;
}): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const config = loadConfigOrExit();
  const target = await commandTarget(config, process.cwd());
  if (target.note) say(target.note);
  const keys = createKeyLayout(target.namespace);
  const where = redactRedisUrl(target.redis.nodes.join(','));
  let stopping = false;
  let redis: RedisClient | undefined;
  const stopped = untilSignal().then(() => {
    stopping = true;
    // Ends the blocking read at once.
    redis?.disconnect();
  });
  redis = await connectForCommand(target.redis, 'turbostream:alerts', { follow: true });
  const print = alertPrinter({ json });
  const what = stream ? `the alerts of ${stream}` : 'every alert';
  // One line when the connection drops and one when it is back, not one per attempt.
  let lost = false;
  redis.on('reconnecting', () => {
    if (!lost)
      say(
        `lost the connection to Redis at ${where}; reconnecting (alerts published meanwhile are printed once it ` +
          `is back)`,
      );
    lost = true;
  });
  redis.on('ready', () => {
    if (lost) say(`reconnected to ${where}; following ${keys.alertLog} again`);
    lost = false;
  });

  // Where to start: after the newest entry (the last `replay` of them printed first).
  const newest = logAlerts(
    await redis.xrevrange(keys.alertLog, '+', '-', 'COUNT', Math.max(1, replay * (stream ? 20 : 1))),
  );
  let lastId = newest[0]?.id ?? '0-0';
  for (const { alert } of newest
    .filter(({ alert }) => ofStream(alert, stream))
    .slice(0, replay)
    .reverse())
    print(alert);
  say(`following ${what} in ${keys.alertLog} on ${where} (Ctrl-C stops)`);

  while (!stopping) {
    let reply: Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;
    try {
      reply = await redis.xread('COUNT', 500, 'BLOCK', 5_000, 'STREAMS', keys.alertLog, lastId);
    } catch (error) {
      if (stopping) break;
      throw error;
    }
    for (const { id, alert } of logAlerts(reply?.[0]?.[1] ?? [])) {
      lastId = id;
      if (ofStream(alert, stream)) print(alert);
    }
  }
  await stopped;
}
