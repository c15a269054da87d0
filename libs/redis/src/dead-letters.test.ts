import { DeadLetter, deadLetter, fieldsToObject } from '@turbostream/contracts';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { DEAD_LETTER_MAX_LENGTH, writeDeadLetters } from './dead-letters.js';
import { createKeyLayout } from './keys.js';

describe('writeDeadLetters', () => {
  redisTest('appends records that DeadLetter reads back, binary as base64', async ({ redis, namespace }) => {
    const keys = createKeyLayout(namespace);
    const text = deadLetter({
      streamId: 's1',
      reason: 'invalid-entry',
      detail: 'no data field',
      payload: '{"x":"1"}',
      receivedAt: 1_764_102_000_000,
    });
    const binary = deadLetter({
      streamId: 's1',
      reason: 'binary',
      detail: 'binary frame',
      payload: Buffer.from([0, 0xff, 0x10]),
      receivedAt: 1_764_102_000_001,
    });
    await writeDeadLetters(redis, keys, [text, binary]);
    await writeDeadLetters(redis, keys, []);
    const stored = (await redis.xrange(keys.deadLetters, '-', '+')).map(([, fields]) =>
      DeadLetter.parse(fieldsToObject(fields)),
    );
    expect(stored).toEqual([text, binary]);
    expect(stored[1]).toMatchObject({ sample: 'AP8Q', sampleEncoding: 'base64', bytes: 3 });
  });

  redisTest('caps the stream near DEAD_LETTER_MAX_LENGTH, dropping the oldest', async ({ redis, namespace }) => {
    const keys = createKeyLayout(namespace);
    const filler = DEAD_LETTER_MAX_LENGTH + 500;
    await redis.eval(
      "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'reason', 'old') end",
      1,
      keys.deadLetters,
      String(filler),
    );
    await writeDeadLetters(redis, keys, [
      deadLetter({ streamId: 's1', reason: 'not-json', detail: 'd', payload: 'x', receivedAt: 1 }),
    ]);
    const length = await redis.xlen(keys.deadLetters);
    expect(length).toBeGreaterThanOrEqual(DEAD_LETTER_MAX_LENGTH);
    expect(length).toBeLessThan(filler);
    const [[, newest] = ['', []]] = await redis.xrevrange(keys.deadLetters, '+', '-', 'COUNT', 1);
    expect(DeadLetter.parse(fieldsToObject(newest)).reason).toBe('not-json');
  });
});
