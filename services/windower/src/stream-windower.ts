import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import type { ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import { type EventPublisher, type KeyLayout, Lease } from '@turbostream/redis';
import type { Redis } from 'ioredis';
import type { AnalysisQueues } from './analysis-queues.js';
import { Checkpoint } from './checkpoint.js';
import { writeDeadLetters } from './dead-letters.js';
import { trimThreshold } from './entry-ids.js';
import { parseStreamEntry } from './stream-entry.js';
import { type OpenWindow, type SealedWindow, cutWindows } from './window-cutter.js';
import { jobsPerWindow, windowJobs } from './window-jobs.js';

export interface StreamWindowerOptions {
  redis: Redis;
  keys: KeyLayout;
  logger: Logger;
  events: EventPublisher | undefined;
  stream: StreamConfig;
  settings: WindowerSettings;
  owner: string;
  queues: AnalysisQueues;
  clock: () => number;
  /** Entries read per `XRANGE`. */
  chunkSize: number;
  /** How long `close()` waits for the pass in progress. */
  closeTimeoutMs: number;
}

/** What one windower instance knows about one stream. */
export interface StreamWindowerStats {
  streamId: string;
  /** True while this instance holds the stream's lease. */
  owned: boolean;
  /** The checkpoint as this instance last read or moved it. */
  checkpoint: string | undefined;
  /** Windows this instance turned into jobs, jobs it stored, and invalid entries it dead-lettered. */
  windows: number;
  jobs: number;
  deadLetters: number;
  /** True while a target's queue is full and no windows are cut. */
  backpressured: boolean;
  open: { firstEntryId: string; entries: number } | undefined;
}

/**
 * Windows one stream while it holds the stream's lease: polls the Redis
 * stream from the checkpoint, cuts windows, stores one job per target, then
 * moves the checkpoint (fenced by the lease) and trims what is windowed.
 * Holds at most one open window and one chunk of entries.
 */
export class StreamWindower {
  readonly #options: StreamWindowerOptions;
  readonly #stream: StreamConfig;
  readonly #logger: Logger;
  readonly #lease: Lease;
  readonly #checkpoint: Checkpoint;
  readonly #perWindow: Map<ProviderId, number>;
  #owned = false;
  /** Bumped on every change of ownership, so work begun under an old one is dropped. */
  #epoch = 0;
  #renewedAt = 0;
  #loaded = false;
  #cursor: string | undefined;
  #committed: string | undefined;
  #open: OpenWindow | undefined;
  #backpressured = false;
  #failing = false;
  #counts = { windows: 0, jobs: 0, deadLetters: 0 };
  #timer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #renewing = false;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: StreamWindowerOptions) {
    this.#options = options;
    this.#stream = options.stream;
    this.#logger = options.logger.child({ streamId: options.stream.id });
    this.#lease = new Lease({ redis: options.redis, key: options.keys.windowLease(options.stream.id), owner: options.owner, ttlMs: options.settings.leaseMs });
    this.#checkpoint = new Checkpoint({ redis: options.redis, keys: options.keys, streamId: options.stream.id, owner: options.owner });
    this.#perWindow = jobsPerWindow(options.stream);
  }

  get stats(): StreamWindowerStats {
    return {
      streamId: this.#stream.id,
      owned: this.#owned,
      checkpoint: this.#committed,
      ...this.#counts,
      backpressured: this.#backpressured,
      open: this.#open && { firstEntryId: this.#open.firstEntryId, entries: this.#open.entries },
    };
  }

  start(): void {
    if (this.#closing || this.#timer || this.#running) return;
    this.#schedule(0);
    const every = Math.max(10, Math.floor(this.#options.settings.leaseMs / 3));
    this.#renewTimer = setInterval(() => void this.#renew(), every);
  }

  /** Stops polling, waits for the pass in progress (up to a deadline) and releases the lease. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    clearInterval(this.#renewTimer);
    try {
      const deadline = new Promise((resolve) => setTimeout(resolve, this.#options.closeTimeoutMs).unref());
      await Promise.race([this.#running, deadline]);
    } catch (err) {
      this.#logger.warn({ err }, 'windowing pass failed while closing');
    }
    if (!this.#owned) return;
    this.#drop();
    try {
      await this.#lease.release();
      this.#logger.info('released stream');
    } catch (err) {
      this.#logger.warn({ err }, 'could not release the stream lease; it expires on its own');
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closing) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#pass()
        .catch((err: unknown) => this.#failed(err))
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#options.settings.pollMs);
        });
    }, delayMs);
  }

  /** One poll: take the lease if free, then window until the stream's end, backpressure or loss of the lease. */
  async #pass(): Promise<void> {
    if (!this.#owned && !(await this.#acquire())) return;
    const epoch = this.#epoch;
    while (this.#holds(epoch) && !this.#closing) {
      if (await this.#isBackpressured()) break;
      if (!(await this.#step(epoch))) break;
    }
    if (this.#failing) this.#logger.info('windowing recovered');
    this.#failing = false;
  }

  /** Reads one chunk and stores the windows it seals. True when more entries may follow at once. */
  async #step(epoch: number): Promise<boolean> {
    const { redis, keys, chunkSize, settings } = this.#options;
    if (!this.#loaded) {
      const state = await this.#checkpoint.read();
      if (!this.#holds(epoch)) return false;
      this.#cursor = state.lastEntryId;
      this.#committed = state.lastEntryId;
      this.#open = undefined;
      this.#loaded = true;
    }
    const start = this.#cursor === undefined ? '-' : `(${this.#cursor}`;
    // One connection runs commands in order: TIME is read before XRANGE, so
    // every entry XRANGE misses gets an id at or after `now`.
    const [time, raw] = await Promise.all([redis.time(), redis.xrange(keys.messages(this.#stream.id), start, '+', 'COUNT', chunkSize)]);
    if (!this.#holds(epoch)) return false;
    const now = Number(time[0]) * 1_000 + Math.floor(Number(time[1]) / 1_000);
    const atEnd = raw.length < chunkSize;
    const entries = raw.map(([id, fields]) => parseStreamEntry(id, fields));
    const cut = cutWindows({ streamId: this.#stream.id, limits: this.#stream.window, entries, open: this.#open, now: atEnd ? now : undefined });
    const stored = await this.#store(cut.sealed, now, settings.retentionMs, epoch);
    if (!this.#holds(epoch)) return false;
    if (stored < cut.sealed.length) {
      this.#loaded = false; // the rest is cut again from the checkpoint once the queues have room
      return false;
    }
    this.#open = cut.open;
    this.#cursor = raw.at(-1)?.[0] ?? this.#cursor;
    return !atEnd;
  }

  /** Stores jobs for as many sealed windows as the queues take, then moves the checkpoint past them. */
  async #store(sealed: readonly SealedWindow[], now: number, retentionMs: number, epoch: number): Promise<number> {
    const count = await this.#admissible(sealed);
    if (count === 0) return 0;
    const batch = sealed.slice(0, count);
    const enqueuedAt = this.#options.clock();
    const jobs = batch.flatMap((item) => windowJobs(this.#stream, item.window, enqueuedAt));
    const invalid = batch.flatMap((item) => item.invalid);
    if (invalid.length > 0) {
      await writeDeadLetters({ ...this.#options, logger: this.#logger, streamId: this.#stream.id, entries: invalid });
      this.#counts.deadLetters += invalid.length;
    }
    if (!this.#holds(epoch)) return 0;
    if (jobs.length > 0) await this.#options.queues.add(jobs);
    if (!this.#holds(epoch)) return 0;
    const lastEntryId = batch.at(-1)?.window.lastEntryId ?? '0-0';
    const windows = batch.filter((item) => item.window.messages.length > 0);
    const trimmed = await this.#checkpoint.commit({
      lastEntryId,
      windows: windows.length,
      entries: batch.reduce((sum, item) => sum + item.entries, 0),
      trimBelow: trimThreshold(lastEntryId, now, retentionMs),
      updatedAt: this.#options.clock(),
    });
    if (trimmed === undefined) {
      if (epoch === this.#epoch) this.#lose('checkpoint refused: another windower holds the stream');
      return 0;
    }
    this.#committed = lastEntryId;
    this.#counts.windows += windows.length;
    this.#counts.jobs += jobs.length;
    for (const { window } of windows) {
      this.#logger.debug({ windowId: window.windowId, messages: window.messages.length, bytes: window.bytes, closedBy: window.closedBy }, 'window closed');
    }
    if (trimmed > 0) this.#logger.debug({ trimmed }, 'trimmed windowed entries');
    return count;
  }

  /** How many of the sealed windows fit into the queues now (a provider with room takes a whole window). */
  async #admissible(sealed: readonly SealedWindow[]): Promise<number> {
    const room = new Map<ProviderId, number>();
    for (const provider of this.#perWindow.keys()) room.set(provider, this.#options.settings.maxQueued - (await this.#options.queues.backlog(provider)));
    let count = 0;
    for (const { window } of sealed) {
      if (window.messages.length > 0) {
        const full = [...room].find(([, free]) => free <= 0);
        if (full) {
          this.#setBackpressure(full[0]);
          break;
        }
        for (const [provider, jobs] of this.#perWindow) room.set(provider, (room.get(provider) ?? 0) - jobs);
      }
      count += 1;
    }
    return count;
  }

  async #isBackpressured(): Promise<boolean> {
    for (const provider of this.#perWindow.keys()) {
      if ((await this.#options.queues.backlog(provider)) >= this.#options.settings.maxQueued) {
        this.#setBackpressure(provider);
        return true;
      }
    }
    if (this.#backpressured) this.#logger.info('backpressure over: windowing resumed');
    this.#backpressured = false;
    return false;
  }

  #setBackpressure(provider: ProviderId): void {
    if (this.#backpressured) return;
    this.#backpressured = true;
    this.#logger.info({ provider, maxQueued: this.#options.settings.maxQueued }, 'backpressure: analysis queue full, windowing paused (the stream buffers meanwhile)');
  }

  async #acquire(): Promise<boolean> {
    if (this.#closing) return false;
    const before = this.#options.clock();
    if (!(await this.#lease.acquire())) return false;
    if (this.#closing) {
      await this.#lease.release();
      return false;
    }
    this.#epoch += 1;
    this.#owned = true;
    this.#renewedAt = before;
    this.#loaded = false;
    this.#logger.info({ owner: this.#options.owner }, 'took ownership of stream');
    return true;
  }

  async #renew(): Promise<void> {
    if (!this.#owned || this.#renewing || this.#closing) return;
    this.#renewing = true;
    const epoch = this.#epoch;
    const before = this.#options.clock();
    try {
      const held = await this.#lease.renew();
      if (epoch !== this.#epoch) return;
      if (held) this.#renewedAt = before;
      else this.#lose('lease taken by another windower');
    } catch (err) {
      if (epoch === this.#epoch && !this.#holds(epoch)) this.#lose('lease could not be renewed in time', err);
    } finally {
      this.#renewing = false;
    }
  }

  /** True while the ownership begun at `epoch` lasts and the lease cannot have expired. */
  #holds(epoch: number): boolean {
    return this.#owned && epoch === this.#epoch && this.#options.clock() - this.#renewedAt < this.#options.settings.leaseMs;
  }

  #lose(reason: string, err?: unknown): void {
    if (!this.#owned) return;
    this.#drop();
    this.#logger.warn({ reason, err }, 'lost ownership of stream; stopped windowing it');
  }

  #drop(): void {
    this.#owned = false;
    this.#epoch += 1;
    this.#loaded = false;
    this.#open = undefined;
  }

  #failed(err: unknown): void {
    this.#loaded = false; // start again from the checkpoint
    if (this.#failing) this.#logger.debug({ err }, 'windowing failed again');
    else this.#logger.warn({ err }, 'windowing failed; retrying from the checkpoint');
    this.#failing = true;
    if (this.#owned && !this.#holds(this.#epoch)) this.#lose('lease could not be renewed in time', err);
  }
}
