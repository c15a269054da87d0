import type { DeadLetter } from '@turbostream/contracts';
import type { RedisClient } from './connection.js';
import type { KeyLayout } from './keys.js';

/** Approximate length (`MAXLEN ~`) the dead-letter stream is capped at. */
export const DEAD_LETTER_MAX_LENGTH = 100_000;

/**
 * Appends dead letters (built with contracts' `deadLetter`) to
 * `keys.deadLetters`, one field per {@link DeadLetter} property, in one
 * transaction: all of them or, on an error (thrown), none.
 */
export async function writeDeadLetters(
  redis: RedisClient,
  keys: KeyLayout,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  const multi = redis.multi();
  for (const letter of letters) {
    multi.xadd(
      keys.deadLetters,
      'MAXLEN',
      '~',
      String(DEAD_LETTER_MAX_LENGTH),
      '*',
      ...Object.entries(letter).flatMap(([field, value]) => [field, String(value)]),
    );
  }
  const results = await multi.exec();
  if (results === null) throw new Error('dead-letter transaction aborted');
  for (const [error] of results) if (error) throw error;
}
