import { createHash } from 'node:crypto';
import type { StreamEntryFields } from '@turbostream/contracts';
import { entryFields } from './entry-fields.js';
import type { RedisClient } from '@turbostream/redis';

/**
 * Appends a batch of entries to a source's stream and counts them, in one
 * round trip and one command (far less client work than one `XADD` per entry:
 * the ingest benchmark shows it). A script runs as a unit, nothing else runs in
 * between, and Redis refuses `OOM` only at a script's first write; a refusal
 * (`OOM`, `WRONGTYPE`) therefore comes before any entry is written, so a failed
 * batch is retried whole without duplicate entries (at worst a counter is off).
 * The stream and the stats hash share a hash tag, so this is cluster-safe.
 *
 * KEYS: stream, stats. ARGV: messages, gaps, then for each entry its field count followed by its fields.
 */
const APPEND_BATCH = `
if ARGV[1] ~= '0' then
  redis.call('HINCRBY', KEYS[2], 'stored', ARGV[1])
  redis.call('HINCRBY', KEYS[2], 'received', ARGV[1])
end
if ARGV[2] ~= '0' then redis.call('HINCRBY', KEYS[2], 'reconnects', ARGV[2]) end
local i = 3
while i <= #ARGV do
  local count = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + count))
  i = i + count + 1
end
return 1`;

const APPEND_BATCH_SHA = createHash('sha1').update(APPEND_BATCH).digest('hex');

/** Appends `entries` in order; returns how many were messages. Throws when Redis refused the batch (nothing was written). */
export async function appendBatch(redis: RedisClient, keys: { stream: string; stats: string }, entries: readonly StreamEntryFields[]): Promise<number> {
  const args: string[] = [];
  let messages = 0;
  let gaps = 0;
  for (const entry of entries) {
    if (entry.kind === 'message') {
      messages += 1;
      args.push('6', 'kind', 'message', 'data', entry.data, 'receivedAt', String(entry.receivedAt));
    } else {
      gaps += 1;
      const fields = entryFields(entry);
      args.push(String(fields.length), ...fields);
    }
  }
  try {
    await redis.evalsha(APPEND_BATCH_SHA, 2, keys.stream, keys.stats, String(messages), String(gaps), ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    await redis.eval(APPEND_BATCH, 2, keys.stream, keys.stats, String(messages), String(gaps), ...args);
  }
  return messages;
}
