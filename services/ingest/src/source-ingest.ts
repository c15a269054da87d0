import type { IngestSettings, SourceConfig } from '@turbostream/config';
import { type DeadLetterReason, deadLetter } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import type { EventInput, EventPublisher, KeyLayout, RedisClient } from '@turbostream/redis';
import { RESTART_GAP_REASON, type RestartGap } from './append-batch.js';
import { classifyFrame } from './frame-classifier.js';
import { SourceConnection } from './source-connection.js';
import { StreamWriter } from './stream-writer.js';

/** A snapshot of one source's counters. */
export interface SourceIngestStats {
  streamId: string;
  /** Frames received, good and bad. */
  received: number;
  /** Messages Redis confirmed. */
  stored: number;
  /** Dead letters Redis confirmed. */
  deadLettered: number;
  reconnects: number;
  /** Writes held in memory, waiting for Redis. */
  buffered: number;
  /** The largest `buffered` seen. */
  peakBuffered: number;
  /** Bytes of those writes (messages as received). */
  bufferedBytes: number;
  /** The largest `bufferedBytes` seen. */
  peakBufferedBytes: number;
  /** True while the socket is paused because the buffer is full. */
  paused: boolean;
  connected: boolean;
}

export interface SourceIngestOptions {
  streamId: string;
  source: SourceConfig;
  settings: IngestSettings;
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  events?: EventPublisher | undefined;
  /** Where its counters go (messages, bytes, dead letters, reconnects, gaps). */
  metrics: TurboMetrics;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/** One source: its connection, the classification of its frames and its writer, wired together. */
export class SourceIngest {
  readonly #options: SourceIngestOptions;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #connection: SourceConnection;
  readonly #writer: StreamWriter;
  #received = 0;
  #rejected = 0;

  constructor(options: SourceIngestOptions) {
    const { streamId, settings, logger, metrics } = options;
    this.#options = options;
    const stream = { stream: streamId };
    this.#logger = logger.child({ streamId });
    this.#clock = options.clock ?? Date.now;
    this.#writer = new StreamWriter({
      redis: options.redis,
      keys: options.keys,
      streamId,
      logger: this.#logger,
      batchSize: settings.batchSize,
      maxBuffered: settings.maxBufferedMessages,
      maxBufferedBytes: settings.maxBufferedBytes,
      onHighWater: () => {
        this.#logger.debug(
          { buffered: this.#writer.buffered, bufferedBytes: this.#writer.bufferedBytes },
          'buffer full; pausing the source until Redis catches up',
        );
        this.#connection.pause();
      },
      onLowWater: () => {
        this.#logger.debug(
          { buffered: this.#writer.buffered, bufferedBytes: this.#writer.bufferedBytes },
          'buffer drained; resuming the source',
        );
        this.#connection.resume();
      },
      onRestartGap: (gap) => this.#onRestartGap(gap),
      onStored: (messages, bytes) => {
        metrics.metric('messagesIn').inc(stream, messages);
        metrics.metric('bytesIn').inc(stream, bytes);
      },
    });
    this.#connection = new SourceConnection({
      source: options.source,
      settings,
      logger: this.#logger,
      clock: this.#clock,
      onFrame: (data, isBinary) => this.#onFrame(data, isBinary),
      onOpen: ({ reconnect, downMs, reason }) => this.#onOpen(reconnect, downMs, reason),
      onDown: ({ reason }) => {
        this.#recordSource('down', reason);
        this.#publish({ type: 'source.down', message: `source down: ${reason}`, details: { reason } });
      },
      onFrameTooLarge: (detail) =>
        this.#deadLetter(
          'oversized',
          `${detail} (over ${this.#connection.maxPayload} bytes; ws closed with 1009)`,
          Buffer.alloc(0),
          this.#connection.maxPayload + 1,
        ),
    });
  }

  get streamId(): string {
    return this.#options.streamId;
  }

  /** True while the source's WebSocket is open. */
  get connected(): boolean {
    return this.#connection.connected;
  }

  start(): void {
    this.#connection.start();
  }

  /** Closes the socket (stops intake). */
  async stopIntake(): Promise<void> {
    this.#recordSource('down', 'ingest stopped');
    await this.#connection.close();
  }

  /** Writes what is buffered, up to `timeoutMs`. Returns the writes left unwritten. */
  async drain(timeoutMs: number): Promise<number> {
    return this.#writer.drain(timeoutMs);
  }

  stats(): SourceIngestStats {
    return {
      streamId: this.#options.streamId,
      received: this.#received,
      stored: this.#writer.stored,
      deadLettered: this.#writer.deadLettered,
      reconnects: this.#connection.reconnects,
      buffered: this.#writer.buffered,
      peakBuffered: this.#writer.peakBuffered,
      bufferedBytes: this.#writer.bufferedBytes,
      peakBufferedBytes: this.#writer.peakBufferedBytes,
      paused: this.#connection.paused,
      connected: this.#connection.connected,
    };
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    this.#received += 1;
    const verdict = classifyFrame(data, isBinary, {
      maxFrameBytes: this.#options.settings.maxFrameBytes,
      format: this.#options.source.format,
    });
    if (verdict.kind === 'message') {
      // The writer copies it into its buffer: ws hands over a view of the socket read the frame came in (up to 64 KiB),
      // which a buffered message would keep alive whole, so the buffer's byte bound would not bound its memory.
      this.#writer.append({ kind: 'message', data: verdict.data, receivedAt: this.#clock() });
    } else {
      this.#deadLetter(verdict.reason, verdict.detail, data);
    }
  }

  #deadLetter(reason: DeadLetterReason, detail: string, payload: Buffer, bytes?: number): void {
    const receivedAt = this.#clock();
    this.#rejected += 1;
    this.#options.metrics.metric('deadLetters').inc({ stream: this.#options.streamId, reason });
    if (this.#rejected <= 10 || this.#rejected % 1000 === 0) {
      this.#logger.warn({ reason, detail, rejected: this.#rejected }, 'frame kept aside as a dead letter');
    }
    this.#writer.appendDeadLetter(
      deadLetter({ streamId: this.#options.streamId, reason, detail, payload, bytes, receivedAt }),
    );
  }

  /**
   * After a reconnect, a gap entry and a `source.gap` event. The first
   * connection of this process is a reconnect too if the stream already has
   * entries (ingest was restarted, however it ended): Redis decides that as it
   * writes the batch, and {@link #onRestartGap} publishes the event.
   */
  #onOpen(reconnect: boolean, downMs: number, reason: string): void {
    this.#recordSource('up', '');
    this.#publish({
      type: 'source.connected',
      message: reconnect ? 'source reconnected' : 'source connected',
      details: { reconnect },
    });
    if (!reconnect) {
      this.#writer.appendRestartCheck(this.#clock());
      return;
    }
    const stream = { stream: this.#options.streamId };
    this.#options.metrics.metric('reconnects').inc(stream);
    this.#options.metrics.metric('gaps').inc({ ...stream, cause: 'reconnect' });
    this.#writer.append({ kind: 'gap', reason, receivedAt: this.#clock(), downMs });
    this.#publishGap({ downMs, reason });
  }

  #onRestartGap({ lastEntryId, downMs }: RestartGap): void {
    this.#options.metrics.metric('gaps').inc({ stream: this.#options.streamId, cause: 'restart' });
    this.#logger.warn(
      { lastEntryId, downMs },
      'ingest restarted: gap entry written after the last entry of the previous run',
    );
    this.#publishGap({ downMs, reason: RESTART_GAP_REASON, lastEntryId });
  }

  #publishGap(details: { downMs: number; reason: string; lastEntryId?: string }): void {
    this.#publish({
      type: 'source.gap',
      message: `messages may be missing: down ${details.downMs} ms (${details.reason})`,
      details,
    });
  }

  /**
   * The source's state in the stream's stats hash (`source` up/down, `sourceSince`, `sourceReason`), for `turbostream
   * streams` and the dashboard. Best effort, like the events: a failed write is logged, never thrown.
   */
  #recordSource(state: 'up' | 'down', reason: string): void {
    const { redis, keys, streamId } = this.#options;
    redis
      .hset(
        keys.stats(streamId),
        'source',
        state,
        'sourceSince',
        new Date(this.#clock()).toISOString(),
        'sourceReason',
        reason,
      )
      .catch((err: unknown) => this.#logger.debug({ err }, 'cannot record the source state'));
  }

  #publish(event: Omit<EventInput, 'streamId'>): void {
    void this.#options.events?.publish({ ...event, streamId: this.#options.streamId });
  }
}
