import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

/** What a Redis server said about itself when probed. */
export interface RedisProbe {
  /** The server's process id (`INFO server` → `process_id`). */
  pid: number;
}

/**
 * One short connection to a single Redis server: PING, then `INFO server`.
 * Resolves with what it said, or `undefined` when it does not answer within
 * `timeoutMs` (refused, timed out, wrong password, not Redis…). Never retries,
 * never throws, never logs.
 */
export async function probeRedis(url: string, timeoutMs: number): Promise<RedisProbe | undefined> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    if ((await probe.ping()) !== 'PONG') return undefined;
    const info = await probe.info('server');
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
    return { pid: Number.isInteger(pid) ? pid : 0 };
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

/** True while a process with this id exists (and is not a zombie waiting to be reaped). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // Linux: "<pid> (<comm>) <state> …". Elsewhere there is no /proc, and zombies are reaped promptly.
    return /\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
