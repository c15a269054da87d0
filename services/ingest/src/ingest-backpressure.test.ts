import type { IngestSettings } from '@turbostream/config';
import { fieldsToObject } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { createKeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { Ingest } from './ingest.js';

/** ws's send buffer above which the flood waits for it to drain, as a feed's server does. */
const SOURCE_HIGH_WATER = 1024 * 1024;
/** What a paused socket may still deliver: the rest of the read in progress (Node reads 64 KiB at most) and a frame. */
const ONE_READ_AND_A_FRAME = 64 * 1024 + 4 * 1024;

/** The flood's n-th message: about 2 KB of JSON, numbered. */
const message = (seq: number) => JSON.stringify({ seq, book: `${seq % 10}`.repeat(2_000) });

/**
 * A WebSocket source that sends `count` messages to its client as fast as TCP lets it. `heldBack` is true while it
 * waits for its send buffer to drain, that is, while its client's TCP window is shut.
 */
class FloodSource {
  sent = 0;
  heldBack = false;
  readonly #server: WebSocketServer;

  private constructor(server: WebSocketServer, count: number) {
    this.#server = server;
    server.on('connection', (socket) => this.#flood(socket, count));
  }

  static async start(count: number): Promise<FloodSource> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    return new FloodSource(server, count);
  }

  get url(): string {
    const address = this.#server.address();
    return typeof address === 'object' && address ? `ws://127.0.0.1:${address.port}` : '';
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #flood(socket: WebSocket, count: number): void {
    const pump = () => {
      this.heldBack = false;
      while (this.sent < count && socket.readyState === socket.OPEN) {
        const data = message(this.sent);
        this.sent += 1;
        if (socket.bufferedAmount >= SOURCE_HIGH_WATER) {
          this.heldBack = true;
          socket.send(data, (error) => {
            if (!error) pump();
          });
          return;
        }
        socket.send(data);
      }
    };
    pump();
  }
}

const settings: IngestSettings = {
  maxFrameBytes: 1_048_576,
  // The count bound of the default settings: 8,000 messages stay under it, so only a bound on bytes can pause.
  maxBufferedMessages: 10_000,
  maxBufferedBytes: 64 * 1024,
  batchSize: 500,
  pingIntervalMs: 60_000,
  reconnectInitialMs: 20,
  reconnectMaxMs: 200,
};

describe('Ingest under a flood while Redis does not take writes', () => {
  redisTest(
    'bounds what it buffers by bytes, pauses the socket so TCP holds the source back, and loses nothing',
    async ({ server, redis, namespace }) => {
      const total = 8_000; // 16 MB: more than the loopback's socket buffers hold, far less than the count bound
      const { maxBufferedBytes } = settings;
      const keys = createKeyLayout(namespace);
      const source = await FloodSource.start(total);
      const client = server.client();
      const ingest = new Ingest({
        redis: client,
        keys,
        logger: createLogger({ level: 'silent' }),
        sources: [{ streamId: 's1', url: source.url, subscribe: [], headers: {}, format: 'json' }],
        settings,
      });
      // Redis holds every write (scripts included) until CLIENT UNPAUSE: the first batch waits, the buffer fills.
      await redis.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      try {
        await ingest.start();
        await waitFor(() => ingest.stats().s1?.paused && source.heldBack, {
          description: 'the socket paused and the source held back by TCP',
        });
        const stalled = ingest.stats().s1;
        expect(stalled?.stored).toBe(0);
        expect(stalled?.received).toBeLessThan(total);
        expect(stalled?.bufferedBytes).toBeLessThanOrEqual(maxBufferedBytes + ONE_READ_AND_A_FRAME);

        await redis.call('CLIENT', 'UNPAUSE');
        await waitFor(() => ingest.stats().s1?.stored === total, {
          timeoutMs: 30_000,
          description: `all ${total} messages stored`,
        });
        const stats = ingest.stats().s1;
        expect(stats).toMatchObject({ received: total, stored: total, deadLettered: 0, buffered: 0, paused: false });
        expect(stats?.bufferedBytes).toBe(0);
        // Never above the bound by more than the read in progress when the socket paused, at any point of the flood.
        expect(stats?.peakBufferedBytes).toBeGreaterThanOrEqual(maxBufferedBytes);
        expect(stats?.peakBufferedBytes).toBeLessThanOrEqual(maxBufferedBytes + ONE_READ_AND_A_FRAME);
        const stored = await redis.xrange(keys.messages('s1'), '-', '+');
        expect(stored).toHaveLength(total);
        const wrong = stored.findIndex(([, fields], seq) => fieldsToObject(fields).data !== message(seq));
        expect(wrong).toBe(-1);
      } finally {
        await redis.call('CLIENT', 'UNPAUSE');
        await ingest.close();
        client.disconnect();
        await source.close();
      }
    },
  );
});
