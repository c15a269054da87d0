import { randomBytes } from 'node:crypto';
import type { DeadLetter } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { type KeyLayout, type RedisClient, writeDeadLetters } from '@turbostream/redis';
import { appendBatch, type GapEntry, type MessageEntry, type RestartCheck, type RestartGap } from './append-batch.js';
import { backoffDelay } from './backoff.js';
import { MessageRun } from './message-run.js';
import { PendingQueue } from './pending-queue.js';

/**
 * Messages, in runs (no object per message: see {@link MessageRun}); a gap or a restart check as is; or a dead
 * letter.
 */
type PendingWrite = MessageRun | GapEntry | RestartCheck | DeadLetterWrite;
type DeadLetterWrite = { kind: 'dead-letter'; deadLetter: DeadLetter };

/** The entries a buffered write stands for: a run's messages, or itself. */
const countOf = (write: PendingWrite): number => (write.kind === 'messages' ? write.count : 1);

const laneOf = (write: PendingWrite): 'stream' | 'dead-letter' =>
  write.kind === 'dead-letter' ? 'dead-letter' : 'stream';

/**
 * What a buffered write holds in memory: its messages' bytes, a dead letter's sample and detail (both bounded), a
 * gap's reason.
 */
function weightOf(write: PendingWrite): number {
  switch (write.kind) {
    case 'messages':
      return write.bytes;
    case 'dead-letter':
      return write.deadLetter.sample.length + write.deadLetter.detail.length;
    case 'gap':
      return write.reason.length;
    default:
      return 0;
  }
}

/** Random per process; with a counter per writer, it names each writer's batches apart from every other writer's. */
const PROCESS_WRITER_PREFIX = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
let writersCreated = 0;

/** A writer id no other writer (in this process or another) has used. */
function newWriterId(): string {
  writersCreated += 1;
  return `${PROCESS_WRITER_PREFIX}-${writersCreated}`;
}

export interface StreamWriterOptions {
  redis: RedisClient;
  keys: KeyLayout;
  streamId: string;
  logger: Logger;
  /** Entries per batch (one round trip, one command). */
  batchSize: number;
  /** High-water mark: at this many buffered writes `onHighWater` is called (pause the source). */
  maxBuffered: number;
  /**
   * High-water mark in bytes of buffered data (see {@link weightOf}): reaching it calls `onHighWater` too. The count
   * alone let a source's buffer grow to `maxBuffered` × the frame size (10,000 × 1 MiB with the default settings).
   * `INGEST_MAX_BUFFERED_BYTES`.
   */
  maxBufferedBytes: number;
  /**
   * Low-water mark: at or below it (and at or below half of `maxBufferedBytes`), after a high-water mark,
   * `onLowWater` is called. @defaultValue half of `maxBuffered`
   */
  lowWater?: number;
  /**
   * A batch also stops growing at this many bytes of message data, so large frames make smaller batches. @defaultValue
   * 8 MiB
   */
  maxBatchBytes?: number;
  /**
   * How long Redis keeps this writer's record of its last batch (the dedupe window). @defaultValue a day
   * (`APPEND_RECORD_TTL_MS`)
   */
  recordTtlMs?: number;
  /** Delay bounds between retries of a failed batch. @defaultValue `{ initialMs: 100, maxMs: 5000 }` */
  retry?: { initialMs: number; maxMs: number };
  onHighWater: () => void;
  onLowWater: () => void;
  /** A restart check (see {@link StreamWriter.appendRestartCheck}) found earlier entries and wrote a gap entry. */
  onRestartGap?: (gap: RestartGap) => void;
  /** Redis confirmed a batch: its messages, and their bytes (UTF-8). */
  onStored?: (messages: number, bytes: number) => void;
}

/**
 * Appends one source's entries to its Redis stream in order: a bounded buffer
 * drained by one batch at a time (one batch in flight keeps the order). A batch
 * stays in the buffer until Redis confirms it, so nothing is lost while Redis
 * is down; the high/low-water callbacks let the caller stop reading the source
 * meanwhile. Dead letters share the buffer (and its bound) but go to their own stream.
 * Messages wait copied into runs of up to a batch ({@link MessageRun}: no
 * object per message for V8 to promote under a flood); a batch is one run, or
 * the gaps, restart checks or dead letters between two runs.
 *
 * Each batch of entries gets the next number of this writer and keeps it, and
 * its contents, until Redis confirms it: a batch sent again (ioredis re-sends
 * a command whose reply was lost when it reconnects; a failed batch is
 * retried) is the same batch, which {@link appendBatch} appends only once.
 */
export class StreamWriter {
  readonly #options: StreamWriterOptions;
  readonly #streamKey: string;
  readonly #statsKey: string;
  readonly #appendsKey: string;
  readonly #lowWater: number;
  readonly #maxBufferedBytes: number;
  readonly #lowWaterBytes: number;
  readonly #queue = new PendingQueue<PendingWrite>();
  readonly #idleWaiters: Array<() => void> = [];
  #running = false;
  #scheduled = false;
  #stopped = false;
  #aboveHighWater = false;
  readonly #writerId = newWriterId();
  #batchSeq = 0;
  /** The batch being written, kept as it is until Redis confirms it. */
  #inFlight: { seq: number; writes: PendingWrite[] } | undefined;
  #failures = 0;
  #stored = 0;
  #deadLettered = 0;
  /** Entries buffered: messages (in their runs), gaps, restart checks, dead letters. */
  #buffered = 0;
  #peakBuffered = 0;
  #bufferedBytes = 0;
  #peakBufferedBytes = 0;

  constructor(options: StreamWriterOptions) {
    this.#options = options;
    this.#streamKey = options.keys.messages(options.streamId);
    this.#statsKey = options.keys.stats(options.streamId);
    this.#appendsKey = options.keys.appendBatches(options.streamId);
    this.#lowWater = Math.max(
      0,
      Math.min(options.lowWater ?? Math.floor(options.maxBuffered / 2), options.maxBuffered - 1),
    );
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#lowWaterBytes = Math.floor(this.#maxBufferedBytes / 2);
  }

  /** Writes waiting for Redis, including the batch in flight. */
  get buffered(): number {
    return this.#buffered;
  }

  get peakBuffered(): number {
    return this.#peakBuffered;
  }

  /** Bytes of data waiting for Redis (see {@link weightOf}), including the batch in flight. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** The largest `bufferedBytes` seen. */
  get peakBufferedBytes(): number {
    return this.#peakBufferedBytes;
  }

  /** Messages Redis confirmed (gap markers not included). */
  get stored(): number {
    return this.#stored;
  }

  get deadLettered(): number {
    return this.#deadLettered;
  }

  /** Buffers a message (its data is copied: the caller may reuse its buffer) or a gap entry. */
  append(entry: MessageEntry | GapEntry): void {
    if (entry.kind === 'gap') {
      this.#enqueue(entry);
      return;
    }
    if (this.#refused(entry.kind)) return;
    const last = this.#queue.last();
    const before = last?.kind === 'messages' ? last.bytes : 0;
    if (last?.kind === 'messages' && last.tryAppend(entry.data, entry.receivedAt)) {
      this.#added(1, last.bytes - before);
      return;
    }
    const run = new MessageRun(this.#options.batchSize, this.#options.maxBatchBytes ?? 8 * 1024 * 1024);
    run.tryAppend(entry.data, entry.receivedAt);
    this.#queue.push(run);
    this.#added(1, run.bytes);
  }

  /**
   * Queues the gap entry of a restart (reason `ingest-restart`): Redis writes
   * it, in its place in the stream, only if the stream had entries before.
   * `onRestartGap` is called once it is written.
   */
  appendRestartCheck(receivedAt: number): void {
    this.#enqueue({ kind: 'restart-check', receivedAt });
  }

  appendDeadLetter(deadLetter: DeadLetter): void {
    this.#enqueue({ kind: 'dead-letter', deadLetter });
  }

  /**
   * Waits until everything buffered is written or `timeoutMs` passes, then stops. Returns the writes left unwritten.
   */
  async drain(timeoutMs: number): Promise<number> {
    if (this.#queue.size > 0 || this.#running) {
      this.#schedule();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#stopped = true;
    return this.#buffered;
  }

  /** True, with a warning, once the writer has stopped: what comes after is not stored. */
  #refused(kind: string): boolean {
    if (this.#stopped) this.#options.logger.warn({ kind }, 'write after the writer stopped; not stored');
    return this.#stopped;
  }

  #enqueue(write: PendingWrite): void {
    if (this.#refused(write.kind)) return;
    this.#queue.push(write);
    this.#added(countOf(write), weightOf(write));
  }

  /** Counts what was just buffered, and schedules its writing. */
  #added(count: number, bytes: number): void {
    this.#buffered += count;
    this.#bufferedBytes += bytes;
    if (this.#buffered > this.#peakBuffered) this.#peakBuffered = this.#buffered;
    if (this.#bufferedBytes > this.#peakBufferedBytes) this.#peakBufferedBytes = this.#bufferedBytes;
    if (!this.#aboveHighWater && this.#atHighWater()) {
      this.#aboveHighWater = true;
      this.#options.onHighWater();
    }
    this.#schedule();
  }

  /** Full: by count or by bytes, whichever comes first. */
  #atHighWater(): boolean {
    return this.#buffered >= this.#options.maxBuffered || this.#bufferedBytes >= this.#maxBufferedBytes;
  }

  /** Drained enough to read the source again: by count and by bytes. */
  #atLowWater(): boolean {
    return this.#buffered <= this.#lowWater && this.#bufferedBytes <= this.#lowWaterBytes;
  }

  #schedule(): void {
    if (this.#running || this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    // Deferred so that every frame of one socket read lands in the same batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (!this.#stopped && this.#queue.size > 0) {
        const batch = this.#currentBatch();
        try {
          await this.#write(batch.seq, batch.writes);
        } catch (error) {
          await this.#onFailure(
            error,
            batch.writes.reduce((sum, write) => sum + countOf(write), 0),
          );
          continue;
        }
        this.#inFlight = undefined;
        this.#onSuccess(batch.writes);
      }
    } finally {
      this.#running = false;
      if (this.#queue.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** The batch in flight, or else the next one (with the next number). */
  #currentBatch(): { seq: number; writes: PendingWrite[] } {
    if (this.#inFlight === undefined) {
      this.#batchSeq += 1;
      this.#inFlight = { seq: this.#batchSeq, writes: this.#nextBatch() };
    }
    return this.#inFlight;
  }

  /**
   * A run of messages alone (sealed: it takes no more, so a batch sent again is the same), else the leading writes of
   * one lane up to the next run of messages, bounded by the batch size. A run is bounded by the batch size and the
   * batch byte budget already.
   */
  #nextBatch(): PendingWrite[] {
    const head = this.#queue.first();
    if (head?.kind === 'messages') {
      head.seal();
      return [head];
    }
    return this.#queue.peekRun(
      this.#options.batchSize,
      (first, item) => item.kind !== 'messages' && laneOf(first) === laneOf(item),
    );
  }

  #onSuccess(written: readonly PendingWrite[]): void {
    if (this.#failures > 0) this.#options.logger.info({ failures: this.#failures }, 'redis writes recovered');
    this.#failures = 0;
    this.#queue.drop(written.length);
    for (const write of written) {
      this.#buffered -= countOf(write);
      this.#bufferedBytes -= weightOf(write);
    }
    if (this.#aboveHighWater && this.#atLowWater()) {
      this.#aboveHighWater = false;
      this.#options.onLowWater();
    }
  }

  async #onFailure(error: unknown, count: number): Promise<void> {
    this.#failures += 1;
    if (this.#failures === 1 || this.#failures % 10 === 0) {
      this.#options.logger.warn(
        { err: error, failures: this.#failures, batch: count, buffered: this.#buffered },
        'redis batch failed; retrying',
      );
    }
    const delay = backoffDelay(this.#failures - 1, this.#options.retry ?? { initialMs: 100, maxMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  async #write(seq: number, batch: PendingWrite[]): Promise<void> {
    const first = batch[0];
    if (first === undefined) return;
    if (laneOf(first) === 'stream') await this.#writeEntries(seq, batch);
    else await this.#writeDeadLetters(batch);
  }

  async #writeEntries(seq: number, batch: PendingWrite[]): Promise<void> {
    const entries = batch.filter(
      (write): write is Exclude<PendingWrite, DeadLetterWrite> => write.kind !== 'dead-letter',
    );
    const keys = { stream: this.#streamKey, stats: this.#statsKey, appends: this.#appendsKey };
    const result = await appendBatch(
      this.#options.redis,
      keys,
      { writerId: this.#writerId, seq, entries },
      this.#options.recordTtlMs === undefined ? {} : { recordTtlMs: this.#options.recordTtlMs },
    );
    this.#stored += result.messages;
    if (this.#options.onStored) {
      let bytes = 0;
      for (const entry of entries) if (entry.kind === 'messages') bytes += entry.bytes;
      this.#options.onStored(result.messages, bytes);
    }
    if (!result.applied) {
      this.#options.logger.info(
        { batch: seq, entries: entries.length },
        'batch sent again after a lost reply was appended already; not appended twice',
      );
    }
    if (result.restartGap) this.#options.onRestartGap?.(result.restartGap);
  }

  async #writeDeadLetters(batch: PendingWrite[]): Promise<void> {
    await writeDeadLetters(
      this.#options.redis,
      this.#options.keys,
      batch.flatMap((write) => (write.kind === 'dead-letter' ? [write.deadLetter] : [])),
    );
    this.#deadLettered += batch.length;
    // The stats hash lives in the stream's cluster slot, the dead-letter stream in another: a separate command.
    try {
      await this.#options.redis.hincrby(this.#statsKey, 'deadLettered', batch.length);
      await this.#options.redis.hincrby(this.#statsKey, 'received', batch.length);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'cannot count dead letters');
    }
  }
}
