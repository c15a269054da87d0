import { seededRandom } from '@turbostream/eval';
import { type WebSocket, WebSocketServer } from 'ws';

export interface DemoFeedOptions {
  /** Port to listen on; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** Trades per second. @defaultValue 20 */
  ratePerSecond?: number;
  /** Seconds between injected anomalies (the first comes after `firstAnomalyAfterSeconds`). @defaultValue 12 */
  anomalyEverySeconds?: number;
  /** @defaultValue 3 */
  firstAnomalyAfterSeconds?: number;
  /** Seeded randomness, so runs can be repeated. @defaultValue 42 */
  seed?: number;
}

const ANOMALIES = ['price-spike', 'volume-spike', 'error', 'price-drop'] as const;

/**
 * A local WebSocket server that emits market-like trade messages (JSON, prices
 * as strings like real exchanges) with injected anomalies: price spikes and
 * drops, volume spikes, and error-level status messages. Every connected
 * client gets the same feed.
 */
export class DemoFeed {
  readonly #options: Required<DemoFeedOptions>;
  #server: WebSocketServer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #next: () => number;
  #mid = 61_200;
  #tradeId = 1;
  #ticks = 0;
  #anomalies = 0;

  constructor(options: DemoFeedOptions = {}) {
    this.#options = {
      port: 0,
      host: '127.0.0.1',
      ratePerSecond: 20,
      anomalyEverySeconds: 12,
      firstAnomalyAfterSeconds: 3,
      seed: 42,
      ...options,
    };
    // mulberry32, as the eval corpus generates its feeds.
    this.#next = seededRandom(this.#options.seed).next;
  }

  /** Starts listening; resolves with the feed's URL. */
  async start(): Promise<string> {
    const server = new WebSocketServer({ port: this.#options.port, host: this.#options.host });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('connection', (socket: WebSocket) => socket.on('message', () => {}));
    const intervalMs = 1000 / this.#options.ratePerSecond;
    this.#timer = setInterval(() => this.#tick(), intervalMs);
    return this.url;
  }

  get url(): string {
    const address = this.#server?.address();
    if (!address || typeof address === 'string') throw new Error('demo feed is not listening');
    return `ws://${this.#options.host}:${address.port}`;
  }

  get anomaliesSent(): number {
    return this.#anomalies;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #gaussian(): number {
    const u = Math.max(this.#next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#next());
  }

  #tick(): void {
    this.#ticks += 1;
    const { ratePerSecond, anomalyEverySeconds, firstAnomalyAfterSeconds } = this.#options;
    const first = Math.round(firstAnomalyAfterSeconds * ratePerSecond);
    const every = Math.round(anomalyEverySeconds * ratePerSecond);
    const anomalous = this.#ticks >= first && (this.#ticks - first) % every === 0;
    const kind = anomalous ? ANOMALIES[this.#anomalies % ANOMALIES.length] : undefined;
    if (anomalous) this.#anomalies += 1;
    this.#broadcast(this.#message(kind));
  }

  #message(kind: (typeof ANOMALIES)[number] | undefined): string {
    if (kind === 'error') {
      return JSON.stringify({
        type: 'status',
        level: 'error',
        message: 'matching engine latency above 2 s',
        ts: Date.now(),
      });
    }
    this.#mid *= 1 + this.#gaussian() * 0.00002;
    let price = this.#mid * (1 + this.#gaussian() * 0.0002);
    let quantity = Math.exp(-3 + this.#gaussian() * 0.2);
    if (kind === 'price-spike') price *= 1.025;
    if (kind === 'price-drop') price *= 0.975;
    if (kind === 'volume-spike') quantity *= 40;
    return JSON.stringify({
      type: 'trade',
      symbol: 'BTCUSDT',
      tradeId: this.#tradeId++,
      price: price.toFixed(2),
      qty: quantity.toFixed(5),
      side: this.#next() < 0.5 ? 'buy' : 'sell',
      ts: Date.now(),
    });
  }

  #broadcast(text: string): void {
    for (const client of this.#server?.clients ?? []) {
      if (client.readyState === client.OPEN && client.bufferedAmount < 1_048_576) client.send(text);
    }
  }
}
