import type { DeadLetter } from '@turbostream/contracts';
import type { KeyLayout, RedisClient } from '@turbostream/redis';

const SAMPLE_CHARACTERS = 2_048;

/** Keeps invalid job data aside in the dead-letter stream, with its reason and a bounded sample. */
export async function deadLetterJob(redis: RedisClient, keys: KeyLayout, input: { streamId: string | undefined; data: unknown; detail: string; now: number }): Promise<void> {
  let json: string;
  try {
    json = JSON.stringify(input.data) ?? String(input.data);
  } catch {
    json = String(input.data);
  }
  const letter: DeadLetter = {
    streamId: input.streamId ?? 'unknown',
    reason: 'invalid-job',
    detail: input.detail.slice(0, 1_000),
    bytes: Buffer.byteLength(json),
    sample: json.slice(0, SAMPLE_CHARACTERS),
    sampleEncoding: 'utf8',
    receivedAt: input.now,
  };
  const fields = Object.entries(letter).flatMap(([name, value]) => [name, String(value)]);
  await redis.xadd(keys.deadLetters, 'MAXLEN', '~', '100000', '*', ...fields);
}
