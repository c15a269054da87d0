import { fieldsToObject, StreamEntryFields } from '@turbostream/contracts';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { type AppendEntry, appendBatch, RESTART_GAP_REASON } from './append-batch.js';

const message = (data: string): AppendEntry => ({ kind: 'message', data, receivedAt: 1_000 });

describe('appendBatch', () => {
  let redis: Redis;
  let keys: KeyLayout;
  let streamKeys: { stream: string; stats: string; appends: string };

  redisTest.beforeEach(({ redis: client, namespace }) => {
    redis = client;
    keys = createKeyLayout(namespace);
    streamKeys = { stream: keys.messages('s1'), stats: keys.stats('s1'), appends: keys.appendBatches('s1') };
  });

  const entries = async () =>
    (await redis.xrange(streamKeys.stream, '-', '+')).map(([id, fields]) => ({
      id,
      fields: StreamEntryFields.parse(fieldsToObject(fields)),
    }));

  redisTest(
    'appends a batch sent again (after a lost reply) only once, counters included, and answers it as before',
    async () => {
      const batch = { writerId: 'w1', seq: 1, entries: [message('a'), message('b')] };
      expect(await appendBatch(redis, streamKeys, batch)).toEqual({
        messages: 2,
        applied: true,
        restartGap: undefined,
      });
      expect(await appendBatch(redis, streamKeys, batch)).toEqual({
        messages: 2,
        applied: false,
        restartGap: undefined,
      });
      expect(await appendBatch(redis, streamKeys, { writerId: 'w1', seq: 2, entries: [message('c')] })).toMatchObject({
        applied: true,
      });
      // An older batch of the same writer, arriving late, is not appended either.
      expect(await appendBatch(redis, streamKeys, batch)).toMatchObject({ applied: false });
      // Another writer numbers its batches on its own.
      expect(await appendBatch(redis, streamKeys, { writerId: 'w2', seq: 1, entries: [message('d')] })).toMatchObject({
        applied: true,
      });
      expect((await entries()).map(({ fields }) => (fields.kind === 'message' ? fields.data : fields.kind))).toEqual([
        'a',
        'b',
        'c',
        'd',
      ]);
      expect(await redis.hgetall(streamKeys.stats)).toEqual({ stored: '4', received: '4' });
    },
  );

  redisTest(
    'writes the restart gap only on a stream that had entries, after the last one, and answers a re-sent batch ' +
      'with the same gap',
    async () => {
      const first = {
        writerId: 'w1',
        seq: 1,
        entries: [{ kind: 'restart-check', receivedAt: 5 } as const, message('a')],
      };
      expect(await appendBatch(redis, streamKeys, first)).toMatchObject({ applied: true, restartGap: undefined });
      const [previous] = await entries();
      // not a settle: the writer is down this long, and downMs below has to show it
      await new Promise((resolve) => setTimeout(resolve, 20));

      const restart = {
        writerId: 'w2',
        seq: 1,
        entries: [{ kind: 'restart-check', receivedAt: 7 } as const, message('b')],
      };
      const result = await appendBatch(redis, streamKeys, restart);
      expect(result.restartGap?.lastEntryId).toBe(previous?.id);
      expect(result.restartGap?.downMs).toBeGreaterThanOrEqual(20);
      expect(await appendBatch(redis, streamKeys, restart)).toEqual({ ...result, applied: false });

      const stored = await entries();
      expect(stored.map(({ fields }) => fields.kind)).toEqual(['message', 'gap', 'message']);
      expect(stored[1]?.fields).toEqual({
        kind: 'gap',
        reason: RESTART_GAP_REASON,
        receivedAt: 7,
        downMs: result.restartGap?.downMs,
        lastEntryId: previous?.id,
      });
      expect(await redis.hget(streamKeys.stats, 'restarts')).toBe('1');
      expect(await redis.hget(streamKeys.stats, 'reconnects')).toBeNull();
    },
  );

  redisTest('knows a stream the windower trimmed to nothing had entries', async () => {
    await appendBatch(redis, streamKeys, { writerId: 'w1', seq: 1, entries: [message('a')] });
    const [last] = await entries();
    await redis.xtrim(streamKeys.stream, 'MAXLEN', 0);
    const result = await appendBatch(redis, streamKeys, {
      writerId: 'w2',
      seq: 1,
      entries: [{ kind: 'restart-check', receivedAt: 9 }],
    });
    expect(result.restartGap?.lastEntryId).toBe(last?.id);
    expect((await entries()).map(({ fields }) => fields.kind)).toEqual(['gap']);
  });

  redisTest(
    'keeps its record bounded: it expires, and a starting writer removes the fields of writers idle past the TTL',
    async () => {
      await appendBatch(
        redis,
        streamKeys,
        { writerId: 'old', seq: 1, entries: [message('a')] },
        { recordTtlMs: 60_000 },
      );
      expect(await redis.pttl(streamKeys.appends)).toBeGreaterThan(59_000);
      await appendBatch(
        redis,
        streamKeys,
        { writerId: 'idle', seq: 1, entries: [message('b')] },
        { recordTtlMs: 60_000 },
      );
      // `old` last wrote two minutes ago.
      const [seq, , result] = (await redis.hget(streamKeys.appends, 'old'))?.split(':') ?? [];
      await redis.hset(streamKeys.appends, 'old', `${seq}:${Date.now() - 120_000}:${result}`);
      await appendBatch(
        redis,
        streamKeys,
        { writerId: 'new', seq: 1, entries: [message('c')] },
        { recordTtlMs: 60_000 },
      );
      expect(Object.keys(await redis.hgetall(streamKeys.appends)).sort()).toEqual(['idle', 'new']);
    },
  );
});
