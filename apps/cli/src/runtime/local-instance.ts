import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TurboConfig } from '@turbostream/config';
import { redactRedisUrl } from '@turbostream/redis';
import { probeRedis, processAlive } from './redis-probe.js';

/**
 * The record of what `turbostream up` (or `stack`) in a directory is using,
 * kept in `.turbostream/up.json` while it runs, so that `alerts`, `streams`
 * and `providers` run in the same directory find its Redis and namespace, and
 * a later `up` finds the private redis-server an earlier one left running.
 */
export interface LocalInstance {
  v: 1;
  /** The command that wrote it. */
  command: 'up' | 'stack';
  /** Its process id. */
  pid: number;
  /** ISO time it started. */
  startedAt: string;
  /** The key namespace its services use. */
  namespace: string;
  redis: {
    /** The Redis URL, password masked: only a `private` or `default` one is used as is. */
    url: string;
    /** A private redis-server started from PATH, the default address, or REDIS_URL. */
    source: 'private' | 'default' | 'REDIS_URL';
    /** Of a private redis-server: its process id, port and data directory. */
    pid?: number;
    port?: number;
    dir?: string;
  };
}

/** Where the record of the directory `workDir` lives. */
export function localInstancePath(workDir: string): string {
  return join(workDir, '.turbostream', 'up.json');
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isPid = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

function parseRecord(value: unknown): LocalInstance | undefined {
  if (!isObject(value) || value.v !== 1 || !isObject(value.redis)) return undefined;
  const { command, pid, startedAt, namespace, redis } = value;
  if (
    (command !== 'up' && command !== 'stack') ||
    !isPid(pid) ||
    typeof startedAt !== 'string' ||
    typeof namespace !== 'string' ||
    namespace === ''
  )
    return undefined;
  const { url, source } = redis;
  if (typeof url !== 'string' || (source !== 'private' && source !== 'default' && source !== 'REDIS_URL'))
    return undefined;
  if (source === 'private' && (!isPid(redis.pid) || !isPid(redis.port) || typeof redis.dir !== 'string'))
    return undefined;
  return value as unknown as LocalInstance;
}

/** The directory's record, or `undefined` when there is none or it cannot be read. */
export function readLocalInstance(workDir: string): LocalInstance | undefined {
  try {
    return parseRecord(JSON.parse(readFileSync(localInstancePath(workDir), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Writes the record (atomically: readers never see half of it). The URL is stored with its password masked. */
export function writeLocalInstance(workDir: string, record: LocalInstance): void {
  const path = localInstancePath(workDir);
  mkdirSync(join(workDir, '.turbostream'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(
    temporary,
    `${JSON.stringify({ ...record, redis: { ...record.redis, url: redactRedisUrl(record.redis.url) } }, null, 2)}\n`,
  );
  renameSync(temporary, path);
}

/**
 * Records that this process (`up` or `stack`) runs in `workDir` on `redis`
 * with `namespace`. Resolves true, or with a note for the user when the record
 * cannot be written (the services run all the same).
 */
export function recordLocalInstance(
  workDir: string,
  { command, namespace, redis }: Pick<LocalInstance, 'command' | 'namespace' | 'redis'>,
): true | string {
  try {
    writeLocalInstance(workDir, {
      v: 1,
      command,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      namespace,
      redis,
    });
    return true;
  } catch (error) {
    return (
      `cannot write ${localInstancePath(workDir)} ` +
      `(${error instanceof Error ? error.message : String(error)}): \`turbostream alerts\` in this directory ` +
      `will not find this Redis by itself`
    );
  }
}

/** Removes the record, if it is the one process `pid` wrote. */
export function removeLocalInstance(workDir: string, pid: number): void {
  if (readLocalInstance(workDir)?.pid === pid) rmSync(localInstancePath(workDir), { force: true });
}

/** True when the record's private redis-server still runs and answers at its address. */
export async function privateRedisAnswers(record: LocalInstance): Promise<boolean> {
  if (record.redis.source !== 'private' || record.redis.pid === undefined) return false;
  return (await probeRedis(record.redis.url, 1_000))?.pid === record.redis.pid;
}

/**
 * True while the process that wrote the record runs. A record naming a
 * private redis-server also needs that server to answer, so that a process id
 * reused after a reboot is not taken for it.
 */
export async function localInstanceRunning(record: LocalInstance): Promise<boolean> {
  if (record.pid === process.pid || !processAlive(record.pid)) return false;
  return record.redis.source !== 'private' || (await privateRedisAnswers(record));
}

/** The Redis and namespace a short command (`alerts`, `streams`, `providers`) should use. */
export interface CommandTarget {
  redis: Pick<TurboConfig['redis'], 'url' | 'cluster' | 'nodes'>;
  namespace: string;
  /** Says where they came from, when not from the configuration alone (for standard error). */
  note?: string;
}

/**
 * The Redis and namespace of `turbostream up` running in `workDir`, else those
 * of the configuration. With REDIS_URL unset, the record's Redis is used when
 * it answers (a stale record is ignored); with REDIS_URL set, REDIS_URL wins
 * and only the namespace follows a running `up` on that same Redis.
 */
export async function commandTarget(
  config: Pick<TurboConfig, 'redis' | 'namespace'>,
  workDir: string,
): Promise<CommandTarget> {
  const own: CommandTarget = { redis: config.redis, namespace: config.namespace };
  const record = readLocalInstance(workDir);
  if (!record) return own;
  const from = `from ${localInstancePath(workDir)}`;
  if (config.redis.explicit) {
    if (
      record.redis.url !== redactRedisUrl(config.redis.url) ||
      record.namespace === config.namespace ||
      !(await localInstanceRunning(record))
    )
      return own;
    return {
      ...own,
      namespace: record.namespace,
      note:
        `namespace ${record.namespace}: the one turbostream ${record.command} (pid ${record.pid}) uses on ` +
        `this Redis (${from})`,
    };
  }
  if (record.redis.source === 'REDIS_URL') return own;
  const usable =
    record.redis.source === 'private' ? await privateRedisAnswers(record) : await localInstanceRunning(record);
  if (!usable) return own;
  const what =
    record.redis.source === 'private'
      ? `the private redis-server of turbostream ${record.command} in this directory`
      : `the Redis turbostream ${record.command} (pid ${record.pid}) uses`;
  return {
    redis: { url: record.redis.url, cluster: false, nodes: [record.redis.url] },
    namespace: record.namespace,
    note: `using ${what}: ${record.redis.url}, namespace ${record.namespace} (${from})`,
  };
}
