import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { fieldsToObject, StreamEntryFields } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { createKeyLayout } from '@turbostream/redis';
import { RedisServer, waitFor } from '@turbostream/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamWriter } from './stream-writer.js';

describe('StreamWriter', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('retries a batch that Redis rejected, in order, without losing or duplicating entries', async () => {
    // No offline queue and no retries: every command fails at once while Redis is down.
    const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    redis.on('error', () => {});
    await waitFor(() => redis.status === 'ready', { description: 'redis ready' });
    const keys = createKeyLayout(`t${randomUUID().slice(0, 8)}`);
    const watermarks: string[] = [];
    let logs = '';
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => { logs += chunk.toString(); });
    const writer = new StreamWriter({
      redis, keys, streamId: 's1', logger: createLogger({ level: 'info', destination }),
      batchSize: 4, maxBuffered: 10, retry: { initialMs: 10, maxMs: 50 },
      onHighWater: () => watermarks.push('high'), onLowWater: () => watermarks.push('low'),
    });
    try {
      await server.kill();
      for (let seq = 0; seq < 25; seq += 1) writer.append({ kind: 'message', data: `m${seq}`, receivedAt: 1_000 + seq });
      writer.append({ kind: 'gap', reason: 'test', receivedAt: 2_000, downMs: 5 });
      await waitFor(() => logs.includes('redis batch failed'), { description: 'a failed batch' });
      expect(writer.buffered).toBe(26);
      expect(watermarks).toEqual(['high']);
      await server.restart();
      expect(await writer.drain(10_000)).toBe(0);
      const entries = (await redis.xrange(keys.messages('s1'), '-', '+')).map(([, fields]) => StreamEntryFields.parse(fieldsToObject(fields)));
      expect(entries.map((entry) => (entry.kind === 'message' ? entry.data : entry.kind))).toEqual([...Array.from({ length: 25 }, (_, seq) => `m${seq}`), 'gap']);
      expect(watermarks).toEqual(['high', 'low']);
      expect(writer.stored).toBe(25);
      expect(writer.buffered).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
