import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { z } from 'zod';

/**
 * Reads the server time, the checkpoint and a chunk of the stream as one
 * script: atomic, so the three describe the same state of Redis (a restart
 * in between cannot mix the data of two), and run by the node that holds the
 * stream (whose clock stamps its entry ids). TIME comes first: every entry
 * XRANGE misses gets an id at or after it.
 *
 * KEYS: window state, messages. ARGV: XRANGE start, count.
 * Returns `{seconds, microseconds, checkpoint ('' for none), entries}`.
 */
const READ_CHUNK = `
local time = redis.call('TIME')
local checkpoint = redis.call('HGET', KEYS[1], 'lastEntryId') or ''
return {time[1], time[2], checkpoint, redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2])}`;

const ChunkReply = z.tuple([
  z.coerce.number().int(),
  z.coerce.number().int(),
  z.string(),
  z.array(z.tuple([z.string(), z.array(z.string())])),
]);

/** One read of a stream, with the state of Redis it was read in. */
export interface StreamChunk {
  /** Redis server time (epoch ms), read before the entries. */
  now: number;
  /** The checkpoint stored when the entries were read; `undefined` when there is none. */
  checkpoint: string | undefined;
  /** `[id, fields]`, as `XRANGE` returns them. */
  entries: [string, string[]][];
}

/**
 * Reads up to `count` entries of the stream from `start` (an `XRANGE` start: `-`, `id` or `(id`), with the server time
 * and the checkpoint.
 */
export async function readStreamChunk(options: {
  redis: RedisClient;
  keys: KeyLayout;
  streamId: string;
  start: string;
  count: number;
}): Promise<StreamChunk> {
  const { redis, keys, streamId, start, count } = options;
  const reply = await redis.eval(
    READ_CHUNK,
    2,
    keys.windowState(streamId),
    keys.messages(streamId),
    start,
    String(count),
  );
  const [seconds, microseconds, checkpoint, entries] = ChunkReply.parse(reply);
  return {
    now: seconds * 1_000 + Math.floor(microseconds / 1_000),
    checkpoint: checkpoint === '' ? undefined : checkpoint,
    entries,
  };
}
