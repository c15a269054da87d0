import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { z } from 'zod';

/**
 * Moves the checkpoint only while `owner` holds the stream's lease and the
 * checkpoint is still where this windower last saw it (`expected`, '' for
 * none), then trims the source stream below `trimBelow` (entries already
 * windowed). A checkpoint somewhere else means Redis lost writes (it went
 * back) or another windower moved it: nothing is written. A checkpoint
 * already at `lastEntryId` is this very commit, run before and re-sent after
 * a lost reply: nothing is written again.
 *
 * KEYS: lease, window state, messages. ARGV: owner, expected, lastEntryId, windows, entries, updatedAt, trimBelow.
 * Returns `{1, trimmed}`, `{-1, ''}` (lease not ours) or `{-2, the checkpoint found}`.
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1, ''} end
local current = redis.call('HGET', KEYS[2], 'lastEntryId') or ''
if current == ARGV[3] then return {1, 0} end
if current ~= ARGV[2] then return {-2, current} end
redis.call('HSET', KEYS[2], 'lastEntryId', ARGV[3], 'owner', ARGV[1], 'updatedAt', ARGV[6])
redis.call('HINCRBY', KEYS[2], 'windows', ARGV[4])
redis.call('HINCRBY', KEYS[2], 'entries', ARGV[5])
return {1, redis.call('XTRIM', KEYS[3], 'MINID', ARGV[7])}`;

const CommitReply = z.tuple([z.number().int(), z.union([z.number().int(), z.string()])]);

const CheckpointHash = z.object({
  lastEntryId: z
    .string()
    .regex(/^\d+-\d+$/)
    .optional(),
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
  /** Where this windower last saw the checkpoint; the commit is refused when it is elsewhere. */
  expected: string | undefined;
  lastEntryId: string;
  windows: number;
  entries: number;
  /** Entries with smaller ids are removed from the source stream (`XTRIM MINID`). */
  trimBelow: string;
  updatedAt: number;
}

/** What became of a commit. */
export type CommitOutcome =
  /** The checkpoint moved; `trimmed` entries were removed from the source stream. */
  | { status: 'moved'; trimmed: number }
  /** Another owner holds the lease: nothing changed. */
  | { status: 'lease-lost' }
  /** The checkpoint is not where this windower last saw it (Redis lost writes): nothing changed. */
  | { status: 'elsewhere'; found: string | undefined };

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

  /** Moves the checkpoint from `commit.expected`, fenced by the lease and by that compare-and-set. */
  async commit(commit: CheckpointCommit): Promise<CommitOutcome> {
    const reply = await this.#redis.eval(
      COMMIT,
      3,
      this.#keys.windowLease(this.#streamId),
      this.#keys.windowState(this.#streamId),
      this.#keys.messages(this.#streamId),
      this.#owner,
      commit.expected ?? '',
      commit.lastEntryId,
      String(commit.windows),
      String(commit.entries),
      String(commit.updatedAt),
      commit.trimBelow,
    );
    const [code, value] = CommitReply.parse(reply);
    if (code === 1) return { status: 'moved', trimmed: Number(value) };
    if (code === -1) return { status: 'lease-lost' };
    return { status: 'elsewhere', found: value === '' ? undefined : String(value) };
  }
}

/** Reads a stream's checkpoint hash; a hash that cannot be read is an error, never a silent restart. */
export async function readCheckpoint(redis: RedisClient, keys: KeyLayout, streamId: string): Promise<CheckpointState> {
  const hash = await redis.hgetall(keys.windowState(streamId));
  const parsed = CheckpointHash.safeParse(hash);
  if (!parsed.success)
    throw new Error(`the window checkpoint of stream ${streamId} is corrupt: ${parsed.error.message}`);
  return { lastEntryId: parsed.data.lastEntryId, windows: parsed.data.windows, entries: parsed.data.entries };
}
