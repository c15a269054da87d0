import { type WebSocket, WebSocketServer } from 'ws';

/** What a message of {@link NumberedSource} carries. */
export interface NumberedMessage {
  seq: number;
  price: string;
  level: 'info' | 'error';
  message?: string;
}

/** How a {@link NumberedSource} words its messages. */
export interface NumberedSourceOptions {
  /**
   * Every `anomalyEvery`-th message reports `"level":"error"` (the heuristic
   * provider raises an alert for it), so that alerts exist.
   * @defaultValue 40
   */
  anomalyEvery?: number;
}

/** A steady feed started by {@link NumberedSource.startFeed}. */
export interface Feed {
  /** Stops the feed and waits for the frame in progress. */
  stop(): Promise<void>;
  /** Resolves when the feed has stopped by itself (its `maxMessages` or `maxMs` reached) or was stopped. */
  readonly done: Promise<void>;
}

/** The rate and the bounds of a steady feed. */
export interface FeedOptions {
  ratePerSecond: number;
  /** Upper bound on the numbers the feed uses, whatever happens. */
  maxMessages: number;
  /** Upper bound on how long the feed runs, whatever happens. */
  maxMs: number;
}

/** The feed's clock: it sends a slice of its rate every tick. */
const TICK_MS = 20;

/** The sequence number of a message of {@link NumberedSource}, or `undefined` when the text is not one. */
export function seqOf(data: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null && 'seq' in parsed && typeof parsed.seq === 'number')
      return parsed.seq;
  } catch {
    // not JSON: not a numbered message
  }
  return undefined;
}

/**
 * A loopback WebSocket source of numbered JSON messages (`{"seq":n,…}`), for
 * counting what is lost or duplicated downstream. A number is *sent* once its
 * frame has been written to a connected client's socket; numbers drawn while
 * no client listens are not sent (and not counted). It can misbehave as
 * sources do: drop its connections, or go mute (stop reading, so pings go
 * unanswered, and stop sending) until it is told otherwise.
 */
export class NumberedSource {
  readonly #server: WebSocketServer;
  readonly #anomalyEvery: number;
  readonly #sent = new Set<number>();
  readonly #muted = new Set<WebSocket>();
  readonly #connectionWaiters: (() => void)[] = [];
  #next = 0;
  #connections = 0;

  private constructor(server: WebSocketServer, options: NumberedSourceOptions) {
    this.#server = server;
    this.#anomalyEvery = options.anomalyEvery ?? 40;
    server.on('connection', (socket: WebSocket) => {
      this.#connections += 1;
      socket.on('error', () => {});
      socket.once('close', () => this.#muted.delete(socket));
      for (const wake of this.#connectionWaiters.splice(0)) wake();
    });
  }

  /** Listens on a free loopback port. */
  static async start(options: NumberedSourceOptions = {}): Promise<NumberedSource> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new NumberedSource(server, options);
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return `ws://127.0.0.1:${address.port}`;
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Open connections that are not muted: those that get messages. */
  get listening(): number {
    return this.#targets().length;
  }

  /** The numbers sent so far (written to a client's socket). */
  get sent(): ReadonlySet<number> {
    return this.#sent;
  }

  /** The next number to be drawn (every number below it was drawn, sent or not). */
  get drawn(): number {
    return this.#next;
  }

  /** The text of message `seq`. */
  message(seq: number): string {
    const anomaly = seq % this.#anomalyEvery === this.#anomalyEvery - 1;
    const body: NumberedMessage = {
      seq,
      price: (100 + (seq % 9) * 0.01).toFixed(2),
      level: anomaly ? 'error' : 'info',
    };
    if (anomaly) body.message = `chaos anomaly ${seq}`;
    return JSON.stringify(body);
  }

  /** Draws the next `count` numbers and sends them as fast as the sockets take them; returns how many were sent. */
  async emit(count: number): Promise<number> {
    const before = this.#sent.size;
    const chunk = 500;
    for (let done = 0; done < count; done += chunk) {
      const seqs = Array.from({ length: Math.min(chunk, count - done) }, () => this.#draw());
      await Promise.all(seqs.map((seq) => this.#send(seq)));
    }
    return this.#sent.size - before;
  }

  /** Sends `ratePerSecond` messages a second, in small slices, until stopped or a bound is reached. */
  startFeed(options: FeedOptions): Feed {
    let running = true;
    const perTick = Math.max(1, Math.round((options.ratePerSecond * TICK_MS) / 1000));
    const loop = async () => {
      const started = Date.now();
      const first = this.#next;
      for (
        let tick = 0;
        running && this.#next - first < options.maxMessages && Date.now() - started < options.maxMs;
        tick += 1
      ) {
        await this.emit(Math.min(perTick, options.maxMessages - (this.#next - first)));
        const wait = started + (tick + 1) * TICK_MS - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    };
    const done = loop();
    return {
      done,
      stop: async () => {
        running = false;
        await done;
      },
    };
  }

  /** Resolves once more than `after` connections have been accepted, or rejects after `timeoutMs`. */
  async waitForConnection(after: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#connections <= after) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no new connection to the source within ${timeoutMs} ms (${this.#connections} so far)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#connectionWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops every connection at once (a TCP reset, no close frame). */
  dropConnections(): void {
    for (const client of this.#server.clients) client.terminate();
  }

  /** Goes mute on every open connection: stops reading (pings go unanswered) and sending. */
  mute(): void {
    for (const client of this.#targets()) {
      client.pause();
      this.#muted.add(client);
    }
  }

  /** Drops the muted connections (their client has given up on them, or should). */
  dropMuted(): void {
    for (const client of this.#muted) client.terminate();
    this.#muted.clear();
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #draw(): number {
    const seq = this.#next;
    this.#next += 1;
    return seq;
  }

  #targets(): WebSocket[] {
    return [...this.#server.clients].filter((client) => client.readyState === client.OPEN && !this.#muted.has(client));
  }

  /** Sends message `seq` to every client that listens; it counts as sent when one socket took it. */
  async #send(seq: number): Promise<void> {
    const text = this.message(seq);
    const written = await Promise.all(
      this.#targets().map(
        (client) =>
          new Promise<boolean>((resolve) =>
            client.send(text, (error) => resolve(error === undefined || error === null)),
          ),
      ),
    );
    if (written.includes(true)) this.#sent.add(seq);
  }
}
