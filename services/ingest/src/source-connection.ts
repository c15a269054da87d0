import { redactUrl } from '@turbostream/contracts';
import type { IngestSettings, SourceConfig } from '@turbostream/config';
import type { Logger } from '@turbostream/logging';
import { type RawData, WebSocket } from 'ws';
import { backoffDelay } from './backoff.js';

export interface SourceConnectionOptions {
  source: SourceConfig;
  settings: Pick<IngestSettings, 'maxFrameBytes' | 'pingIntervalMs' | 'reconnectInitialMs' | 'reconnectMaxMs'>;
  logger: Logger;
  /** A connection that stayed up this long resets the reconnect attempts. @defaultValue 10000 */
  stableAfterMs?: number;
  /** @defaultValue 10000 */
  handshakeTimeoutMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** Jitter source in `[0, 1)`. @defaultValue Math.random */
  random?: () => number;
  onFrame: (data: Buffer, isBinary: boolean) => void;
  /** The socket is open and the subscribe messages are sent. `reconnect` is false on the first connection only. */
  onOpen: (event: { reconnect: boolean; downMs: number; reason: string }) => void;
  /** Called once per outage: the connection was lost, or the first connection failed. */
  onDown: (event: { reason: string }) => void;
  /** ws refused a frame above its own payload limit and is closing with 1009. */
  onFrameTooLarge: (detail: string) => void;
}

/**
 * One WebSocket to one source: connect (with the configured headers), send
 * the subscribe messages after every (re)connect, check liveness with
 * ping/pong, and reconnect with capped, jittered backoff.
 */
export class SourceConnection {
  readonly #options: SourceConnectionOptions;
  readonly #clock: () => number;
  readonly #maxPayload: number;
  #socket: WebSocket | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #opens = 0;
  #reconnects = 0;
  #openedAt: number | undefined;
  #downSince: number | undefined;
  #downReason = '';
  #failure: string | undefined;
  #pongReceived = true;
  #paused = false;
  #closed = false;

  constructor(options: SourceConnectionOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    // Well above maxFrameBytes, so moderately oversized frames reach us and become dead letters.
    this.#maxPayload = Math.max(4 * options.settings.maxFrameBytes, 16 * 1024 * 1024);
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** The payload limit given to ws; larger frames make ws close the connection with 1009. */
  get maxPayload(): number {
    return this.#maxPayload;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Successful connections after the first. */
  get reconnects(): number {
    return this.#reconnects;
  }

  start(): void {
    if (!this.#socket && !this.#closed) this.#connect();
  }

  /** Stops reading the socket (backpressure); liveness checks are suspended meanwhile. */
  pause(): void {
    this.#paused = true;
    this.#socket?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#pongReceived = true;
    this.#socket?.resume();
  }

  /** Closes the socket and stops reconnecting. */
  async close(timeoutMs = 1_000): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#pingTimer);
    const socket = this.#socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close(1000, 'ingest closing');
    const timer = setTimeout(() => socket.terminate(), timeoutMs);
    await closed;
    clearTimeout(timer);
  }

  #connect(): void {
    if (this.#closed) return;
    const { source, logger } = this.#options;
    this.#failure = undefined;
    const socket = new WebSocket(source.url, {
      headers: source.headers,
      handshakeTimeout: this.#options.handshakeTimeoutMs ?? 10_000,
      maxPayload: this.#maxPayload,
      // We check UTF-8 ourselves: invalid text is a dead letter, not a reason for ws to close with 1007.
      skipUTF8Validation: true,
    });
    this.#socket = socket;
    logger.debug({ url: redactUrl(source.url), headers: Object.keys(source.headers) }, 'connecting');
    socket.on('open', () => this.#onOpen(socket));
    socket.on('message', (data: RawData, isBinary: boolean) => this.#options.onFrame(toBuffer(data), isBinary));
    socket.on('pong', () => {
      this.#pongReceived = true;
    });
    socket.on('error', (error: Error & { code?: string }) => {
      this.#failure ??= error.message;
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#options.onFrameTooLarge(error.message);
    });
    socket.on('close', (code: number) => this.#onClose(socket, code));
  }

  #onOpen(socket: WebSocket): void {
    const now = this.#clock();
    const reconnect = this.#opens > 0;
    const downMs = this.#downSince === undefined ? 0 : now - this.#downSince;
    this.#opens += 1;
    if (reconnect) this.#reconnects += 1;
    this.#openedAt = now;
    this.#downSince = undefined;
    this.#pongReceived = true;
    if (this.#paused) socket.pause();
    for (const message of this.#options.source.subscribe) socket.send(message);
    this.#pingTimer = setInterval(() => this.#checkLiveness(socket), this.#options.settings.pingIntervalMs);
    this.#options.logger.info({ url: redactUrl(this.#options.source.url), reconnect, downMs }, 'source connected');
    this.#options.onOpen({ reconnect, downMs, reason: this.#downReason });
  }

  #checkLiveness(socket: WebSocket): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (this.#paused) {
      this.#pongReceived = true;
      return;
    }
    if (!this.#pongReceived) {
      this.#failure = `no pong within ${this.#options.settings.pingIntervalMs} ms`;
      socket.terminate();
      return;
    }
    this.#pongReceived = false;
    socket.ping();
  }

  #onClose(socket: WebSocket, code: number): void {
    clearInterval(this.#pingTimer);
    if (this.#socket === socket) this.#socket = undefined;
    if (this.#closed) return;
    const now = this.#clock();
    const reason = this.#failure ?? `closed by source with code ${code}`;
    const wasOpen = this.#openedAt !== undefined;
    if (wasOpen && now - (this.#openedAt ?? now) >= (this.#options.stableAfterMs ?? 10_000)) this.#attempt = 0;
    this.#openedAt = undefined;
    if (wasOpen || this.#downSince === undefined) {
      this.#downSince = now;
      this.#downReason = reason;
      this.#options.logger.warn({ reason }, 'source down');
      this.#options.onDown({ reason });
    }
    const { reconnectInitialMs: initialMs, reconnectMaxMs: maxMs } = this.#options.settings;
    const delay = backoffDelay(this.#attempt, { initialMs, maxMs }, this.#options.random);
    this.#attempt += 1;
    this.#options.logger.debug({ delay, attempt: this.#attempt }, 'reconnecting');
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
