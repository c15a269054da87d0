import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import type { IngestSettings } from '@turbostream/config';
import { DeadLetter, fieldsToObject, OpsEvent, StreamEntryFields } from '@turbostream/contracts';
import { createLogger } from '@turbostream/logging';
import { parseMetricsText, TurboMetrics } from '@turbostream/metrics';
import { createKeyLayout, EventPublisher, type KeyLayout } from '@turbostream/redis';
import { RedisServer, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { Ingest, type IngestSource } from './ingest.js';

/** A loopback WebSocket source that records what clients send and can stop answering pings. */
class FakeSource {
  readonly connections: Array<{ socket: WebSocket; headers: IncomingHttpHeaders; received: string[] }> = [];
  answerPings = true;
  /** Pings received, answered or not. */
  pings = 0;
  readonly #server: WebSocketServer;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket, request) => {
      const connection = { socket, headers: request.headers, received: [] as string[] };
      this.connections.push(connection);
      socket.on('message', (data) => connection.received.push(String(data)));
      socket.on('ping', (data) => {
        this.pings += 1;
        if (this.answerPings) socket.pong(data);
      });
    });
  }

  static async start(): Promise<FakeSource> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await new Promise((resolve) => server.once('listening', resolve));
    return new FakeSource(server);
  }

  get url(): string {
    const address = this.#server.address();
    return typeof address === 'object' && address ? `ws://127.0.0.1:${address.port}/feed?token=query-secret` : '';
  }

  /** Waits for the n-th connection (1-based) to be open and subscribed. */
  async connection(n: number, subscribed = 1): Promise<WebSocket> {
    return waitFor(
      () => {
        const connection = this.connections[n - 1];
        return connection && connection.received.length >= subscribed && connection.socket;
      },
      { description: `connection ${n}` },
    );
  }

  async send(socket: WebSocket, data: string | Buffer, binary = false): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      socket.send(data, { binary }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    for (const { socket } of this.connections) socket.terminate();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const settings: IngestSettings = {
  maxFrameBytes: 1024,
  maxBufferedMessages: 1000,
  maxBufferedBytes: 4_194_304,
  batchSize: 7,
  pingIntervalMs: 60_000,
  reconnectInitialMs: 20,
  reconnectMaxMs: 200,
};
const SUBSCRIBE = '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}';

describe('Ingest', () => {
  let redis: Redis;
  let source: FakeSource;
  let keys: KeyLayout;
  let logs: string;
  const open: Ingest[] = [];

  redisTest.beforeEach(({ redis: client, namespace }) => {
    redis = client;
    keys = createKeyLayout(namespace);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((ingest) => ingest.close()));
    await source?.close();
  });

  async function startIngest(
    overrides: Partial<IngestSettings> = {},
    options: { redis?: Redis; withEvents?: boolean; metrics?: TurboMetrics } = {},
  ): Promise<Ingest> {
    source = await FakeSource.start();
    logs = '';
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    const stream: IngestSource = {
      streamId: 's1',
      url: source.url,
      subscribe: [SUBSCRIBE],
      headers: { authorization: 'Bearer header-secret' },
      format: 'json',
    };
    const events = options.withEvents ? new EventPublisher({ redis, keys, service: 'ingest' }) : undefined;
    const ingest = new Ingest({
      redis: options.redis ?? redis,
      keys,
      logger: createLogger({ level: 'debug', destination }),
      sources: [stream],
      settings: { ...settings, ...overrides },
      ...(events ? { events } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    open.push(ingest);
    await ingest.start();
    return ingest;
  }

  async function entries(client: Redis = redis): Promise<Array<{ id: string; fields: StreamEntryFields }>> {
    const raw = await client.xrange(keys.messages('s1'), '-', '+');
    return raw.map(([id, fields]) => ({ id, fields: StreamEntryFields.parse(fieldsToObject(fields)) }));
  }

  const messagesOf = (list: Array<{ fields: StreamEntryFields }>) =>
    list.flatMap(({ fields }) => (fields.kind === 'message' ? [fields.data] : []));

  redisTest(
    'stores every message in order, with receivedAt, and sends subscribe and headers on the handshake',
    async () => {
      const before = Date.now();
      const ingest = await startIngest();
      const socket = await source.connection(1);
      expect(source.connections[0]?.received).toEqual([SUBSCRIBE]);
      expect(source.connections[0]?.headers.authorization).toBe('Bearer header-secret');
      const sent = Array.from({ length: 100 }, (_, index) => JSON.stringify({ seq: index, p: `${61_000 + index}.5` }));
      for (const message of sent) await source.send(socket, message);
      await waitFor(async () => (await redis.xlen(keys.messages('s1'))) === 100, { description: '100 entries' });
      const stored = await entries();
      expect(messagesOf(stored)).toEqual(sent);
      for (const { fields } of stored) {
        expect(fields.kind === 'message' && fields.receivedAt >= before && fields.receivedAt <= Date.now()).toBe(true);
      }
      expect(ingest.stats().s1).toMatchObject({
        received: 100,
        stored: 100,
        deadLettered: 0,
        reconnects: 0,
        buffered: 0,
        paused: false,
        connected: true,
      });
      expect(await redis.hgetall(keys.stats('s1'))).toMatchObject({ stored: '100', received: '100' });
      await ingest.close();
      expect(logs).toContain('source connected');
      expect(logs).not.toContain('header-secret');
      expect(logs).not.toContain('query-secret');
    },
  );

  redisTest('writes what it has buffered before close() returns, and close() is idempotent', async () => {
    const ingest = await startIngest();
    const socket = await source.connection(1);
    for (let index = 0; index < 500; index += 1) socket.send(JSON.stringify({ seq: index }));
    await waitFor(() => ingest.stats().s1?.received === 500, { description: '500 received' });
    const closing = ingest.close();
    expect(ingest.close()).toBe(closing);
    await closing;
    expect(await redis.xlen(keys.messages('s1'))).toBe(500);
  });

  redisTest(
    'resubscribes after the source drops the connection and writes a gap marker between old and new messages',
    async () => {
      const metrics = new TurboMetrics();
      const ingest = await startIngest({}, { withEvents: true, metrics });
      const first = await source.connection(1);
      await source.send(first, '{"before":1}');
      await waitFor(() => ingest.stats().s1?.stored === 1, { description: 'first message' });
      first.close(1012, 'service restart');
      const second = await source.connection(2);
      expect(source.connections[1]?.received).toEqual([SUBSCRIBE]);
      await source.send(second, '{"after":1}');
      await waitFor(async () => (await redis.xlen(keys.messages('s1'))) === 3, {
        description: 'message, gap, message',
      });
      const stored = await entries();
      expect(stored.map(({ fields }) => fields.kind)).toEqual(['message', 'gap', 'message']);
      const gap = stored[1]?.fields;
      expect(gap?.kind === 'gap' && gap.reason).toContain('1012');
      expect(gap?.kind === 'gap' && gap.downMs).toBeGreaterThanOrEqual(0);
      expect(ingest.stats().s1?.reconnects).toBe(1);
      expect(await redis.hget(keys.stats('s1'), 'reconnects')).toBe('1');
      const types = await waitFor(
        async () => {
          const raw = await redis.xrange(keys.eventLog, '-', '+');
          const parsed = raw.map(([, fields]) => OpsEvent.parse(JSON.parse(fieldsToObject(fields).event ?? '{}')).type);
          return parsed.includes('source.gap') && parsed;
        },
        { description: 'ops events' },
      );
      expect(types).toEqual(['source.connected', 'source.down', 'source.connected', 'source.gap']);
      const { samples } = parseMetricsText(await metrics.text());
      const value = (name: string, labels: Record<string, string> = {}) =>
        samples.find(
          (sample) =>
            sample.name === name && Object.entries(labels).every(([key, want]) => sample.labels[key] === want),
        )?.value;
      expect(value('turbostream_ingest_messages_total', { stream: 's1' })).toBe(2);
      expect(value('turbostream_ingest_bytes_total', { stream: 's1' })).toBe('{"before":1}{"after":1}'.length);
      expect(value('turbostream_source_reconnects_total', { stream: 's1' })).toBe(1);
      expect(value('turbostream_ingest_gaps_total', { stream: 's1', cause: 'reconnect' })).toBe(1);
      expect(value('turbostream_source_up', { stream: 's1' })).toBe(1);
      await ingest.close();
      expect(
        parseMetricsText(await metrics.text()).samples.filter((sample) => sample.name === 'turbostream_source_up'),
      ).toEqual([]);
    },
  );

  redisTest(
    'keeps binary, invalid UTF-8, non-JSON and oversized frames aside with their reasons, and keeps working',
    async () => {
      const ingest = await startIngest();
      const socket = await source.connection(1);
      await source.send(socket, '{"good":1}');
      await source.send(socket, Buffer.from([0x00, 0xff, 0x10]), true);
      await source.send(socket, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
      await source.send(socket, 'plain text');
      await source.send(socket, JSON.stringify({ pad: 'x'.repeat(2_000) }));
      await source.send(socket, '{"good":2}');
      await waitFor(() => ingest.stats().s1?.stored === 2 && ingest.stats().s1?.deadLettered === 4, {
        description: '2 stored, 4 dead letters',
      });
      expect(messagesOf(await entries())).toEqual(['{"good":1}', '{"good":2}']);
      const deadLetters = (await redis.xrange(keys.deadLetters, '-', '+')).map(([, fields]) =>
        DeadLetter.parse(fieldsToObject(fields)),
      );
      expect(deadLetters.map(({ reason }) => reason)).toEqual(['binary', 'invalid-utf8', 'not-json', 'oversized']);
      expect(deadLetters[0]).toMatchObject({ streamId: 's1', bytes: 3, sample: 'AP8Q', sampleEncoding: 'base64' });
      expect(deadLetters[1]).toMatchObject({ sampleEncoding: 'base64', bytes: 4 });
      expect(deadLetters[2]).toMatchObject({ sample: 'plain text', sampleEncoding: 'utf8' });
      expect(deadLetters[3]?.bytes).toBe(2_010);
      expect(deadLetters[3]?.sample.length).toBeLessThanOrEqual(1024);
      expect(source.connections).toHaveLength(1);
      expect(await redis.hget(keys.stats('s1'), 'deadLettered')).toBe('4');
    },
  );

  redisTest('records a frame too large for ws itself as oversized, reconnects and goes on', async () => {
    const ingest = await startIngest();
    const socket = await source.connection(1);
    await source.send(socket, Buffer.alloc(16 * 1024 * 1024 + 1, 0x61));
    const second = await source.connection(2);
    await source.send(second, '{"after":1}');
    await waitFor(() => ingest.stats().s1?.stored === 1 && ingest.stats().s1?.deadLettered === 1, {
      description: 'stored after reconnect',
    });
    const [deadLetter] = (await redis.xrange(keys.deadLetters, '-', '+')).map(([, fields]) =>
      DeadLetter.parse(fieldsToObject(fields)),
    );
    expect(deadLetter).toMatchObject({ reason: 'oversized', streamId: 's1' });
    expect(deadLetter?.bytes).toBeGreaterThan(16 * 1024 * 1024);
    expect((await entries()).map(({ fields }) => fields.kind)).toEqual(['gap', 'message']);
  });

  redisTest('notices a half-open connection (no pongs) and reconnects', async () => {
    const ingest = await startIngest({ pingIntervalMs: 50 });
    await source.connection(1);
    // While pongs come back, the connection stays up across many ping intervals.
    await waitFor(() => source.pings >= 8, { timeoutMs: 5_000, description: 'eight pings, answered' });
    expect(source.connections).toHaveLength(1);
    source.answerPings = false;
    await source.connection(2);
    source.answerPings = true;
    await waitFor(() => ingest.stats().s1?.reconnects === 1 && ingest.stats().s1?.connected, {
      description: 'reconnected',
    });
    const [gap] = await entries();
    expect(gap?.fields.kind === 'gap' && gap.fields.reason).toContain('no pong');
  });

  redisTest('pauses the socket while Redis is down, keeps memory bounded, and loses nothing', async () => {
    // A server of its own, killed below, so the file's server and client stay up.
    const flaky = await RedisServer.start();
    const client = flaky.client();
    client.on('error', () => {});
    try {
      const ingest = await startIngest({ maxBufferedMessages: 20, batchSize: 5 }, { redis: client });
      const socket = await source.connection(1);
      await flaky.kill();
      const total = 300;
      for (let index = 0; index < total; index += 1) {
        await source.send(socket, JSON.stringify({ seq: index }));
        // One frame at a time until the socket pauses: each is read (and buffered) before the next is sent.
        await waitFor(() => ingest.stats().s1?.received === index + 1 || ingest.stats().s1?.paused, {
          intervalMs: 5,
          description: `frame ${index} read, or the socket paused`,
        });
      }
      const stats = ingest.stats().s1;
      expect(stats?.paused).toBe(true);
      expect(stats?.stored).toBe(0);
      expect(stats?.peakBuffered).toBeGreaterThanOrEqual(20);
      // A paused socket may still deliver the rest of the read in progress: a few frames, never the whole backlog.
      expect(stats?.peakBuffered).toBeLessThanOrEqual(60);
      await flaky.restart();
      await waitFor(async () => (await client.xlen(keys.messages('s1'))) === total, {
        timeoutMs: 20_000,
        description: 'every message stored',
      });
      expect(messagesOf(await entries(client))).toEqual(
        Array.from({ length: total }, (_, index) => JSON.stringify({ seq: index })),
      );
      await waitFor(() => ingest.stats().s1?.paused === false, { description: 'resumed' });
      expect(ingest.stats().s1).toMatchObject({ received: total, stored: total, reconnects: 0, buffered: 0 });
      await ingest.close();
    } finally {
      client.disconnect();
      await flaky.dispose();
    }
  });
});
