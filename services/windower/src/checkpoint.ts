import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { z } from 'zod';

/**
 * Moves the checkpoint only while `owner` holds the stream's lease, then
 * trims the source stream below `trimBelow` (entries already windowed).
 *
 * KEYS: lease, window state, messages. ARGV: owner, lastEntryId, windows, entries, updatedAt, trimBelow.
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[2], 'lastEntryId', ARGV[2], 'owner', ARGV[1], 'updatedAt', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'windows', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'entries', ARGV[4])
return redis.call('XTRIM', KEYS[3], 'MINID', ARGV[6])`;

const CheckpointHash = z.object({
  lastEntryId: z.string().regex(/^\d+-\d+$/).optional(),
  windows: z.coerce.number().int().nonnegative().default(0),
  entries: z.coerce.number().int().nonnegative().default(0),
});

/** A stream's windowing progress, kept in the hash `keys.windowState(streamId)`. */
export interface CheckpointState {
  /** The last entry that belongs to a sealed window; `undefined` before the first one. */
  lastEntryId: string | undefined;
  /** Windows turned into jobs so far. */
  windows: number;
  /** Entries windowed so far, of any kind. */
  entries: number;
}

export interface CheckpointCommit {
  lastEntryId: string;
  windows: number;
  entries: number;
  /** Entries with smaller ids are removed from the source stream (`XTRIM MINID`). */
  trimBelow: string;
  updatedAt: number;
}

/** The fenced checkpoint of one stream. */
export class Checkpoint {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #streamId: string;
  readonly #owner: string;

  constructor(options: { redis: RedisClient; keys: KeyLayout; streamId: string; owner: string }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#streamId = options.streamId;
    this.#owner = options.owner;
  }

  async read(): Promise<CheckpointState> {
    return readCheckpoint(this.#redis, this.#keys, this.#streamId);
  }

  /** Moves the checkpoint; `undefined` when the lease is held by another owner (nothing changed), else entries trimmed. */
  async commit(commit: CheckpointCommit): Promise<number | undefined> {
    const result = await this.#redis.eval(
      COMMIT,
      3,
      this.#keys.windowLease(this.#streamId),
      this.#keys.windowState(this.#streamId),
      this.#keys.messages(this.#streamId),
      this.#owner,
      commit.lastEntryId,
      String(commit.windows),
      String(commit.entries),
      String(commit.updatedAt),
      commit.trimBelow,
    );
    return typeof result === 'number' && result >= 0 ? result : undefined;
  }
}

/** Reads a stream's checkpoint hash; a hash that cannot be read is an error, never a silent restart. */
export async function readCheckpoint(redis: RedisClient, keys: KeyLayout, streamId: string): Promise<CheckpointState> {
  const hash = await redis.hgetall(keys.windowState(streamId));
  const parsed = CheckpointHash.safeParse(hash);
  if (!parsed.success) throw new Error(`the window checkpoint of stream ${streamId} is corrupt: ${parsed.error.message}`);
  return { lastEntryId: parsed.data.lastEntryId, windows: parsed.data.windows, entries: parsed.data.entries };
}
