import type { DeadLetter } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import type { InvalidEntry } from './stream-entry.js';

/** Approximate length the dead-letter stream is capped at. */
const DEAD_LETTER_MAX_LENGTH = '100000';

/**
 * Keeps invalid stream entries aside in `keys.deadLetters` (one field per
 * {@link DeadLetter} property) and reports each as an operational event.
 * Written before the checkpoint moves past them, so a crash in between may
 * record one twice but never loses one.
 */
export async function writeDeadLetters(options: {
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  events: EventPublisher | undefined;
  streamId: string;
  entries: readonly InvalidEntry[];
}): Promise<void> {
  const { redis, keys, logger, events, streamId, entries } = options;
  const pipeline = redis.pipeline();
  for (const entry of entries) {
    const letter: DeadLetter = {
      streamId,
      reason: 'invalid-job',
      detail: entry.detail,
      bytes: entry.bytes,
      sample: entry.sample,
      sampleEncoding: 'utf8',
      receivedAt: entry.receivedAt,
    };
    pipeline.xadd(keys.deadLetters, 'MAXLEN', '~', DEAD_LETTER_MAX_LENGTH, '*', ...Object.entries(letter).flatMap(([field, value]) => [field, String(value)]));
  }
  const results = (await pipeline.exec()) ?? [];
  const failure = results.find(([error]) => error !== null);
  if (failure?.[0]) throw failure[0];
  for (const entry of entries) {
    logger.warn({ entryId: entry.id, detail: entry.detail }, 'invalid stream entry kept aside as a dead letter');
    await events?.publish({ type: 'deadletter', streamId, message: entry.detail, details: { entryId: entry.id, reason: 'invalid-job' } });
  }
}
