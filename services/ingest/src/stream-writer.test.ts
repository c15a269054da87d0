import { PassThrough } from 'node:stream';
import { fieldsToObject, StreamEntryFields } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { createKeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { StreamWriter, type StreamWriterOptions } from './stream-writer.js';

/** A writer of stream `s1`, silent, with room for 1,000 writes and 10,000 bytes, batches of 100; `options` override. */
function newWriter(
  redis: StreamWriterOptions['redis'],
  keys: StreamWriterOptions['keys'],
  options: Partial<StreamWriterOptions> = {},
): StreamWriter {
  return new StreamWriter({
    redis,
    keys,
    streamId: 's1',
    logger: createLogger({ level: 'silent' }),
    batchSize: 100,
    maxBuffered: 1000,
    maxBufferedBytes: 10_000,
    onHighWater: () => {},
    onLowWater: () => {},
    ...options,
  });
}

describe('StreamWriter', () => {
  redisTest(
    'retries a batch that Redis rejected, in order, without losing or duplicating entries',
    async ({ server, namespace }) => {
      // No offline queue and no retries: every command fails at once while Redis is down.
      const redis = new Redis(server.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 50,
      });
      redis.on('error', () => {});
      await waitFor(() => redis.status === 'ready', { description: 'redis ready' });
      const keys = createKeyLayout(namespace);
      const watermarks: string[] = [];
      let logs = '';
      const destination = new PassThrough();
      destination.on('data', (chunk: Buffer) => {
        logs += chunk.toString();
      });
      const writer = new StreamWriter({
        redis,
        keys,
        streamId: 's1',
        logger: createLogger({ level: 'info', destination }),
        batchSize: 4,
        maxBuffered: 10,
        maxBufferedBytes: 1_000_000,
        retry: { initialMs: 10, maxMs: 50 },
        onHighWater: () => watermarks.push('high'),
        onLowWater: () => watermarks.push('low'),
      });
      try {
        await server.kill();
        for (let seq = 0; seq < 25; seq += 1)
          writer.append({ kind: 'message', data: `m${seq}`, receivedAt: 1_000 + seq });
        writer.append({ kind: 'gap', reason: 'test', receivedAt: 2_000, downMs: 5 });
        await waitFor(() => logs.includes('redis batch failed'), { description: 'a failed batch' });
        expect(writer.buffered).toBe(26);
        expect(watermarks).toEqual(['high']);
        await server.restart();
        expect(await writer.drain(10_000)).toBe(0);
        const entries = (await redis.xrange(keys.messages('s1'), '-', '+')).map(([, fields]) =>
          StreamEntryFields.parse(fieldsToObject(fields)),
        );
        expect(entries.map((entry) => (entry.kind === 'message' ? entry.data : entry.kind))).toEqual([
          ...Array.from({ length: 25 }, (_, seq) => `m${seq}`),
          'gap',
        ]);
        expect(watermarks).toEqual(['high', 'low']);
        expect(writer.stored).toBe(25);
        expect(writer.buffered).toBe(0);
      } finally {
        redis.disconnect();
        await server.restart(); // the file's server, for the tests after this one (a no-op when it runs)
      }
    },
  );
});

describe('StreamWriter after a lost reply', () => {
  redisTest(
    'sends the same batch again, unchanged, when Redis ran it but the reply did not come: each entry once',
    async ({ redis, namespace }) => {
      const keys = createKeyLayout(namespace);
      // The first batch runs in Redis, then its reply is "lost" (as a timeout would lose it).
      let lose = 1;
      let onLost = () => {};
      const loseReply = async (reply: Promise<unknown>) => {
        const value = await reply;
        if (lose > 0) {
          lose -= 1;
          onLost();
          throw new Error('Command timed out');
        }
        return value;
      };
      const [evalsha, evalScript] = [redis.evalsha.bind(redis), redis.eval.bind(redis)];
      redis.evalsha = ((...args: Parameters<typeof evalsha>) => loseReply(evalsha(...args))) as typeof redis.evalsha;
      redis.eval = ((...args: Parameters<typeof evalScript>) => loseReply(evalScript(...args))) as typeof redis.eval;
      const writer = newWriter(redis, keys, { maxBufferedBytes: 1_000_000, retry: { initialMs: 50, maxMs: 50 } });
      // More arrives while the batch waits to be sent again: it goes into the next batch.
      onLost = () => {
        for (let seq = 3; seq < 6; seq += 1)
          writer.append({ kind: 'message', data: `m${seq}`, receivedAt: 1_000 + seq });
      };
      for (let seq = 0; seq < 3; seq += 1) writer.append({ kind: 'message', data: `m${seq}`, receivedAt: 1_000 + seq });
      await waitFor(() => lose === 0, { description: 'the lost reply' });
      expect(await writer.drain(5_000)).toBe(0);
      const entries = (await redis.xrange(keys.messages('s1'), '-', '+')).map(
        ([, fields]) => fieldsToObject(fields).data,
      );
      expect(entries).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(writer.stored).toBe(6);
      expect(await redis.hgetall(keys.stats('s1'))).toEqual({ stored: '6', received: '6' });
    },
  );
});

describe('StreamWriter bounds', () => {
  redisTest(
    'reaches its high water by bytes as well as by count, and stores data given as bytes as its text',
    async ({ redis, namespace }) => {
      const keys = createKeyLayout(namespace);
      const watermarks: string[] = [];
      const writer = newWriter(redis, keys, {
        onHighWater: () => watermarks.push('high'),
        onLowWater: () => watermarks.push('low'),
      });
      // 3,003 bytes each (the euro sign takes three): the fourth passes 10,000 bytes, far below 1,000 writes.
      const texts = Array.from({ length: 4 }, (_, seq) => `{"seq":${seq},"p":"€${'9'.repeat(2_984)}"}`);
      for (const [seq, text] of texts.entries()) {
        writer.append({ kind: 'message', data: Buffer.from(text), receivedAt: 1_000 + seq });
        expect({ seq, watermarks }).toEqual({ seq, watermarks: seq < 3 ? [] : ['high'] });
      }
      expect(writer.bufferedBytes).toBe(4 * Buffer.byteLength(texts[0] ?? ''));
      expect(await writer.drain(5_000)).toBe(0);
      expect(watermarks).toEqual(['high', 'low']);
      expect(writer.bufferedBytes).toBe(0);
      const stored = await redis.xrange(keys.messages('s1'), '-', '+');
      expect(stored.map(([, fields]) => fieldsToObject(fields).data)).toEqual(texts);
    },
  );

  redisTest(
    'keeps a copy of each message: the buffer it came in may be reused at once',
    async ({ redis, namespace }) => {
      const keys = createKeyLayout(namespace);
      const writer = newWriter(redis, keys);
      // As ws does: each frame a view of one socket read, which Node may fill again once the frame has been handled.
      const read = Buffer.from('{"seq":0}');
      for (let seq = 0; seq < 3; seq += 1) {
        read.write(`{"seq":${seq}}`);
        writer.append({ kind: 'message', data: read, receivedAt: 1_000 + seq });
      }
      read.fill('x');
      expect(await writer.drain(5_000)).toBe(0);
      const stored = await redis.xrange(keys.messages('s1'), '-', '+');
      expect(stored.map(([, fields]) => fieldsToObject(fields).data)).toEqual(['{"seq":0}', '{"seq":1}', '{"seq":2}']);
    },
  );
});
