import { defaultConfig, serviceConfigs, type TurboConfig } from '@turbostream/config';
import { createLogger } from '@turbostream/logging';
import { createKeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { WebSocketServer } from 'ws';
import { startIngest } from './main.js';

function configWith(streams: TurboConfig['streams'], { url, namespace }: { url: string; namespace: string }) {
  const base = defaultConfig({
    REDIS_URL: url,
    TURBOSTREAM_NAMESPACE: namespace,
    INGEST_MAX_FRAME_BYTES: '1024',
    INGEST_MAX_BUFFERED_MESSAGES: '100',
    INGEST_BATCH_SIZE: '10',
    INGEST_PING_INTERVAL_MS: '60000',
    INGEST_RECONNECT_INITIAL_MS: '20',
    INGEST_RECONNECT_MAX_MS: '200',
  });
  return serviceConfigs({ ...base, streams }).ingest;
}

describe('startIngest', () => {
  redisTest(
    'maps each configured stream onto a source, started on a connection of its own',
    async ({ redis, server, namespace }) => {
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
      const started = await startIngest(
        configWith([stream('a'), stream('b')], { url: server.url, namespace }),
        createLogger({ level: 'silent' }),
      );
      try {
        await waitFor(
          async () => (await redis.xlen(keys.messages('a'))) === 1 && (await redis.xlen(keys.messages('b'))) === 1,
          { description: 'one message per stream' },
        );
        expect(Object.keys(started.service.stats()).sort()).toEqual(['a', 'b']);
        expect(String(await redis.client('LIST'))).toContain('name=turbostream:ingest');
      } finally {
        await started.service.close();
        await started.disconnect();
        await new Promise((resolve) => source.close(resolve));
      }
    },
  );
});
