import type { IngestSettings } from '@turbostream/config';
import { fieldsToObject, StreamEntryFields } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { Ingest, type IngestSource } from './ingest.js';

const settings: IngestSettings = {
  maxFrameBytes: 1024,
  maxBufferedMessages: 1000,
  maxBufferedBytes: 4_194_304,
  batchSize: 10,
  pingIntervalMs: 60_000,
  reconnectInitialMs: 20,
  reconnectMaxMs: 200,
};
const logger = createLogger({ level: 'silent' });

/** A loopback source that records each connection's subscribe messages and whether it is still open. */
class Source {
  readonly connections: Array<{ socket: WebSocket; received: string[] }> = [];
  readonly #server: WebSocketServer;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket) => {
      const connection = { socket, received: [] as string[] };
      this.connections.push(connection);
      socket.on('message', (data) => connection.received.push(String(data)));
    });
  }

  static async start(): Promise<Source> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    return new Source(server);
  }

  get url(): string {
    const address = this.#server.address();
    return typeof address === 'object' && address ? `ws://127.0.0.1:${address.port}` : '';
  }

  get open(): number {
    return this.#server.clients.size;
  }

  /** Sends to every open connection. */
  broadcast(data: string): void {
    for (const client of this.#server.clients) client.send(data);
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

describe('Ingest.update', () => {
  let redis: Redis;
  let keys: KeyLayout;
  const sources: Source[] = [];
  const running: Ingest[] = [];

  redisTest.beforeEach(({ redis: client, namespace }) => {
    redis = client;
    keys = createKeyLayout(namespace);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((ingest) => ingest.close()));
    await Promise.all(sources.splice(0).map((source) => source.close()));
  });

  const startSource = async () => {
    const source = await Source.start();
    sources.push(source);
    return source;
  };
  const sourceOf = (streamId: string, source: Source, subscribe = `{"sub":"${streamId}"}`): IngestSource => ({
    streamId,
    url: source.url,
    subscribe: [subscribe],
    headers: {},
    format: 'json',
  });
  const messages = async (streamId: string) =>
    (await redis.xrange(keys.messages(streamId), '-', '+'))
      .map(([, fields]) => StreamEntryFields.parse(fieldsToObject(fields)))
      .flatMap((fields) => (fields.kind === 'message' ? [fields.data] : []));

  redisTest('opens added sources, closes removed ones and leaves unchanged ones connected', async () => {
    const [a, b] = [await startSource(), await startSource()];
    const ingest = new Ingest({ redis, keys, logger, settings, sources: [sourceOf('a', a)] });
    running.push(ingest);
    await ingest.start();
    await waitFor(() => a.connections[0]?.received.length === 1, { description: 'a subscribed' });

    expect(await ingest.update([sourceOf('a', a), sourceOf('b', b)])).toEqual({
      added: ['b'],
      removed: [],
      reconnected: [],
    });
    await waitFor(() => b.connections[0]?.received.length === 1, { description: 'b subscribed' });
    b.broadcast('{"n":1}');
    await waitFor(async () => (await messages('b')).length === 1, { description: "b's message stored" });
    expect(a.connections).toHaveLength(1);

    a.broadcast('{"last":true}');
    await waitFor(() => ingest.stats().a?.received === 1, { description: "a's last message received" });
    expect(await ingest.update([sourceOf('b', b)])).toEqual({ added: [], removed: ['a'], reconnected: [] });
    expect(await messages('a')).toEqual(['{"last":true}']); // written before the source was dropped
    await waitFor(() => a.open === 0, { description: "a's socket closed" });
    expect(Object.keys(ingest.stats())).toEqual(['b']);
  });

  redisTest(
    'reconnects a source whose subscribe messages changed, with a gap entry between old and new messages',
    async () => {
      const a = await startSource();
      const ingest = new Ingest({ redis, keys, logger, settings, sources: [sourceOf('a', a)] });
      running.push(ingest);
      await ingest.start();
      await waitFor(() => a.connections[0]?.received.length === 1, { description: 'a subscribed' });
      a.broadcast('{"old":1}');
      await waitFor(async () => (await messages('a')).length === 1, { description: 'the old message' });

      expect(await ingest.update([sourceOf('a', a, '{"sub":"a","v":2}')])).toEqual({
        added: [],
        removed: [],
        reconnected: ['a'],
      });
      await waitFor(() => a.connections[1]?.received[0] === '{"sub":"a","v":2}', {
        description: 'a resubscribed with the new message',
      });
      await waitFor(() => a.open === 1, { description: 'the old socket closed' });
      a.broadcast('{"new":1}');
      await waitFor(async () => (await messages('a')).length === 2, { description: 'the new message' });
      const kinds = (await redis.xrange(keys.messages('a'), '-', '+')).map(
        ([, fields]) => StreamEntryFields.parse(fieldsToObject(fields)).kind,
      );
      expect(kinds).toEqual(['message', 'gap', 'message']);
    },
  );

  redisTest('refuses an invalid list whole, and applies nothing after close()', async () => {
    const a = await startSource();
    const ingest = new Ingest({ redis, keys, logger, settings, sources: [sourceOf('a', a)] });
    await ingest.start();
    expect(() => ingest.update([sourceOf('a', a), sourceOf('a', a)])).toThrow(/appears twice/);
    await waitFor(() => a.connections[0]?.received.length === 1, { description: 'a subscribed' });
    await ingest.close();
    expect(await ingest.update([sourceOf('b', a)])).toEqual({ added: [], removed: [], reconnected: [] });
    expect(a.connections).toHaveLength(1);
  });
});
