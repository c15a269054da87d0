import { createHash } from 'node:crypto';
import type { StreamEntryFields } from '@turbostream/contracts';
import type { RedisClient } from '@turbostream/redis';
import { entryFields } from './entry-fields.js';
import type { MessageRun } from './message-run.js';

/** The `reason` of the gap entry that marks a restart of ingest. */
export const RESTART_GAP_REASON = 'ingest-restart';

/**
 * How long a writer's record of its last batch is kept after that batch: a
 * batch sent again later than this (after a lost reply) would be appended
 * twice. ioredis re-sends an unanswered command as soon as it has reconnected,
 * so a day is far above any real case.
 */
export const APPEND_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Stands for the gap entry of a restart, at the head of a writer's first
 * batch: the script writes it (reason `ingest-restart`, with the id of the
 * stream's last entry and the time since it) only when the stream already had
 * entries, which only Redis knows for sure.
 */
export interface RestartCheck {
  kind: 'restart-check';
  receivedAt: number;
}

/**
 * A message to append. Ingest gives its data as the frame's bytes: ioredis then writes the batch's command as one
 * Buffer, outside V8's heap. Given strings, ioredis builds the whole command as one string (500 messages of 2 KB: a
 * 1 MB string, in V8's large-object space, promoted to the old generation whenever a young collection finds it alive):
 * in the sustained-flood benchmark V8 promoted about one copy of every message that way, and the old generation grew
 * by hundreds of MB before a full collection. Strings are taken too (the stream's field is text either way).
 */
export interface MessageEntry {
  kind: 'message';
  data: Buffer | string;
  receivedAt: number;
}

/** A gap entry, as the stream holds it. */
export type GapEntry = Extract<StreamEntryFields, { kind: 'gap' }>;

/** What a batch may hold: a {@link MessageRun} stands for its messages, in order. */
export type AppendEntry = MessageEntry | MessageRun | GapEntry | RestartCheck;

/** The restart gap a batch wrote: the entry before it, and the time since that entry. */
export interface RestartGap {
  lastEntryId: string;
  downMs: number;
}

/** One batch of one writer: `seq` counts the writer's batches from 1, and a batch sent again keeps its `seq`. */
export interface AppendBatch {
  writerId: string;
  seq: number;
  entries: readonly AppendEntry[];
}

export interface AppendResult {
  /** Messages in the batch (stored now, or by the earlier attempt whose reply was lost). */
  messages: number;
  /** False when Redis had appended this batch already (its reply was lost): nothing was written this time. */
  applied: boolean;
  /** The restart gap the batch wrote, if it wrote one. */
  restartGap: RestartGap | undefined;
}

/**
 * Appends a batch of entries to a source's stream and counts them, in one
 * round trip and one command (far less client work than one `XADD` per entry:
 * the ingest benchmark shows it), exactly once.
 *
 * Once: each writer numbers its batches; the script keeps, per writer, the
 * number of the last batch it appended (and that batch's result) in the hash
 * `appends`, and a batch whose number is not above it is answered from that
 * record without writing. So a batch that ran but whose reply was lost, and
 * that ioredis re-sends after reconnecting (or the writer retries), is not
 * appended twice. The record is written by the same script as the entries:
 * both or neither. Fields of writers idle for {@link APPEND_RECORD_TTL_MS} are
 * removed when a writer starts, and the whole hash expires that long after the
 * last batch.
 *
 * A script runs as a unit, nothing else runs in between, and Redis refuses
 * `OOM` only at a script's first write; a refusal (`OOM`, `WRONGTYPE`)
 * therefore comes before anything is written, and the batch can be retried.
 * The stream, the stats hash and the record share a hash tag: cluster-safe.
 *
 * KEYS: stream, stats, appends. ARGV: writer id, batch seq, record TTL (ms),
 * messages, gaps, then for each entry: `-1`, its data and its receivedAt for a
 * message (the script names the fields: three arguments a message instead of
 * seven, which is less for ioredis to encode and for the socket to carry); its
 * field count followed by its fields for a gap; or `0` followed by a
 * receivedAt for a {@link RestartCheck}.
 * Returns `{ applied (1|0), restart gap ('' or '<lastEntryId> <downMs>') }`.
 */
const APPEND_BATCH =
  `
local writer, seq, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local record = redis.call('HGET', KEYS[3], writer)
if record then
  local lastSeq, lastResult = string.match(record, '^(%d+):%d+:(.*)$')
  lastSeq = tonumber(lastSeq)
  if lastSeq == seq then return {0, lastResult} end
  if lastSeq > seq then return {0, ''} end
end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if not record then
  local fields = redis.call('HGETALL', KEYS[3])
  for j = 1, #fields, 2 do
    local at = tonumber(string.match(fields[j + 1], '^%d+:(%d+):'))
    if at == nil or at < nowMs - ttl then redis.call('HDEL', KEYS[3], fields[j]) end
  end
end
local restart = ''
local i = 6
while i <= #ARGV do
  local count = tonumber(ARGV[i])
  if count == -1 then
    redis.call('XADD', KEYS[1], '*', 'kind', 'message', 'data', ARGV[i + 1], 'receivedAt', ARGV[i + 2])
    i = i + 3
  elseif count == 0 then
    local last = nil
    if redis.call('EXISTS', KEYS[1]) == 1 then
      local info = redis.call('XINFO', 'STREAM', KEYS[1])
      for j = 1, #info, 2 do
        if info[j] == 'last-generated-id' then last = info[j + 1] end
      end
    end
    if last and last ~= '0-0' then
      local downMs = string.format('%d', math.max(0, nowMs - tonumber(string.match(last, '^(%d+)-'))))
      redis.call('XADD', KEYS[1], '*', 'kind', 'gap', 'reason', '${RESTART_GAP_REASON}', ` +
  `'receivedAt', ARGV[i + 1], 'downMs', downMs, 'lastEntryId', last)
      redis.call('HINCRBY', KEYS[2], 'restarts', 1)
      restart = last .. ' ' .. downMs
    end
    i = i + 2
  else
    redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + count))
    i = i + count + 1
  end
end
if ARGV[4] ~= '0' then
  redis.call('HINCRBY', KEYS[2], 'stored', ARGV[4])
  redis.call('HINCRBY', KEYS[2], 'received', ARGV[4])
end
if ARGV[5] ~= '0' then redis.call('HINCRBY', KEYS[2], 'reconnects', ARGV[5]) end
redis.call('HSET', KEYS[3], writer, ARGV[2] .. ':' .. string.format('%d', nowMs) .. ':' .. restart)
redis.call('PEXPIRE', KEYS[3], ttl)
return {1, restart}`;

const APPEND_BATCH_SHA = createHash('sha1').update(APPEND_BATCH).digest('hex');

/** The script's arguments after the keys, and how many messages the batch holds. */
function scriptArguments(batch: AppendBatch, ttlMs: number): { args: Array<string | Buffer>; messages: number } {
  const entryArgs: Array<string | Buffer> = [];
  let messages = 0;
  let gaps = 0;
  for (const entry of batch.entries) {
    if (entry.kind === 'message') {
      messages += 1;
      entryArgs.push('-1', entry.data, String(entry.receivedAt));
    } else if (entry.kind === 'messages') {
      messages += entry.count;
      for (let index = 0; index < entry.count; index += 1)
        entryArgs.push('-1', entry.data(index), String(entry.receivedAt(index)));
    } else if (entry.kind === 'restart-check') {
      entryArgs.push('0', String(entry.receivedAt));
    } else {
      gaps += 1;
      const fields = entryFields(entry);
      entryArgs.push(String(fields.length), ...fields);
    }
  }
  return {
    args: [batch.writerId, String(batch.seq), String(ttlMs), String(messages), String(gaps), ...entryArgs],
    messages,
  };
}

/** Reads the script's `{ applied, restart }` reply. */
function parseReply(reply: unknown): { applied: boolean; restartGap: RestartGap | undefined } {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected append reply: ${JSON.stringify(reply)}`);
  const [applied, restart] = reply as [unknown, unknown];
  const [lastEntryId, downMs] = typeof restart === 'string' && restart !== '' ? restart.split(' ') : [];
  return { applied: applied === 1, restartGap: lastEntryId ? { lastEntryId, downMs: Number(downMs) } : undefined };
}

/**
 * Appends a batch's entries in order, exactly once however often it is sent
 * (see the script above). Throws when Redis refused the batch (nothing was
 * written); send the same batch again then.
 */
export async function appendBatch(
  redis: RedisClient,
  keys: { stream: string; stats: string; appends: string },
  batch: AppendBatch,
  options: { recordTtlMs?: number } = {},
): Promise<AppendResult> {
  const { args, messages } = scriptArguments(batch, options.recordTtlMs ?? APPEND_RECORD_TTL_MS);
  let reply: unknown;
  try {
    reply = await redis.evalsha(APPEND_BATCH_SHA, 3, keys.stream, keys.stats, keys.appends, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    reply = await redis.eval(APPEND_BATCH, 3, keys.stream, keys.stats, keys.appends, ...args);
  }
  return { messages, ...parseReply(reply) };
}
