import { type WebSocket, WebSocketServer } from 'ws';

/** A loopback WebSocket source the test drives: it records what clients send and broadcasts what the test says. */
export class FakeSource {
  readonly received: string[] = [];
  #server: WebSocketServer;
  connections = 0;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket: WebSocket) => {
      this.connections += 1;
      socket.on('message', (data) => this.received.push(data.toString()));
    });
  }

  static async start(): Promise<FakeSource> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new FakeSource(server);
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return `ws://127.0.0.1:${address.port}`;
  }

  get clients(): number {
    return this.#server.clients.size;
  }

  /** Sends a frame to every connected client and waits until it is written to the socket. */
  async send(data: string | Buffer, options: { binary?: boolean } = {}): Promise<void> {
    await Promise.all(
      [...this.#server.clients].map(
        (client) =>
          new Promise<void>((resolve, reject) =>
            client.send(data, { binary: options.binary ?? false }, (error) => (error ? reject(error) : resolve())),
          ),
      ),
    );
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Sends `message(seq)` for seq = 0, 1, 2, … to whoever is connected to `source`,
 * one every `intervalMs`, until stopped. A number sent while no one is
 * connected, or to a socket that is closing, is simply not delivered.
 */
export class SteadyFeed {
  sent = 0;
  #running = true;
  readonly #done: Promise<void>;

  constructor(
    source: FakeSource,
    intervalMs: number,
    message: (seq: number) => string = (seq) => JSON.stringify({ seq }),
  ) {
    this.#done = this.#loop(source, intervalMs, message);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }

  async #loop(source: FakeSource, intervalMs: number, message: (seq: number) => string): Promise<void> {
    while (this.#running) {
      const seq = this.sent;
      this.sent += 1;
      await source.send(message(seq)).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
