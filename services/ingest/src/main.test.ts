import { defaultConfig, type TurboConfig } from '@turbostream/config';
import { createLogger } from '@turbostream/logging';
import { createKeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { WebSocketServer } from 'ws';
import { runIngest } from './main.js';

function configWith(streams: TurboConfig['streams']): TurboConfig {
  const base = defaultConfig({ INGEST_MAX_FRAME_BYTES: '1024', INGEST_MAX_BUFFERED_MESSAGES: '100', INGEST_BATCH_SIZE: '10', INGEST_PING_INTERVAL_MS: '60000', INGEST_RECONNECT_INITIAL_MS: '20', INGEST_RECONNECT_MAX_MS: '200' });
  return { ...base, streams, streamsFile: 'streams.yaml' };
}

describe('runIngest', () => {
  redisTest('refuses to start without streams, naming the streams file', async ({ redis }) => {
    const keys = createKeyLayout('unused');
    await expect(runIngest(configWith([]), { redis, keys, logger: createLogger({ level: 'silent' }) })).rejects.toThrow(/at least one stream.*streams\.yaml/);
  });

  redisTest('maps each configured stream onto a source, started', async ({ redis, namespace }) => {
    const source = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => source.once('listening', resolve));
    const address = source.address();
    const url = typeof address === 'object' && address ? `ws://127.0.0.1:${address.port}` : '';
    source.on('connection', (socket) => socket.on('message', () => socket.send('{"price":1}')));
    const keys = createKeyLayout(namespace);
    const stream = (id: string) => ({
      id,
      source: { url, subscribe: [`{"subscribe":"${id}"}`], headers: {}, format: 'json' as const },
      window: { maxMessages: 10, maxBytes: 10_000, maxSeconds: 10 },
      targets: [{ provider: 'heuristic' as const, model: 'threshold' }],
      instructions: 'test',
    });
    const ingest = await runIngest(configWith([stream('a'), stream('b')]), { redis, keys, logger: createLogger({ level: 'silent' }) });
    try {
      await waitFor(async () => (await redis.xlen(keys.messages('a'))) === 1 && (await redis.xlen(keys.messages('b'))) === 1, { description: 'one message per stream' });
      expect(Object.keys(ingest.stats()).sort()).toEqual(['a', 'b']);
    } finally {
      await ingest.close();
      await new Promise((resolve) => source.close(resolve));
    }
  });
});
