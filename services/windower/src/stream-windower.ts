import type { StreamConfig, WindowerSettings } from '@turbostream/config';
import { compareEntryIds, deadLetter } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { TurboMetrics } from '@turbostream/metrics';
import type { AnalysisProducer } from '@turbostream/queue';
import { type EventPublisher, type KeyLayout, Lease, type RedisClient, writeDeadLetters } from '@turbostream/redis';
import type { BudgetWatch } from './budget-watch.js';
import { Checkpoint, readCheckpoint } from './checkpoint.js';
import { trimThreshold } from './entry-ids.js';
import { QueueGate } from './queue-gate.js';
import { type DivergedWindow, findDivergedWindow } from './stored-windows.js';
import { readStreamChunk, type StreamChunk } from './stream-chunk.js';
import { parseStreamEntry } from './stream-entry.js';
import { StreamOwnership } from './stream-ownership.js';
import type { StreamTail, TailEntry, TailFollower } from './stream-tail.js';
import { describeTargets, StreamTargetSource, sameTargets, type TargetOverrides } from './target-source.js';
import { cutWindows, type OpenWindow, type SealedWindow } from './window-cutter.js';
import { jobsPerWindow, windowJobs } from './window-jobs.js';

export interface StreamWindowerOptions {
  redis: RedisClient;
  keys: KeyLayout;
  logger: Logger;
  events: EventPublisher | undefined;
  stream: StreamConfig;
  settings: WindowerSettings;
  owner: string;
  queues: AnalysisProducer;
  clock: () => number;
  /** Entries read per `XRANGE`. */
  chunkSize: number;
  /** How long `close()` waits for the pass in progress. */
  closeTimeoutMs: number;
  /** Spent budgets, shared by the windower's streams. */
  budgets?: BudgetWatch;
  /** Tells of the stream's new entries while it is at its end (shared by the windower's streams). */
  tail: StreamTail;
  /** Targets set while running (shared by the windower's streams). */
  overrides: TargetOverrides;
  /** Where windows sealed and invalid entries are counted. */
  metrics: TurboMetrics;
}

/** How far windowing is behind the end of a stream (the open window included). */
export interface StreamLag {
  /**
   * Entries after the last sealed window: entries the stream ever had (Redis 7's `entries-added`) less those windowed;
   * `undefined` on Redis 6.2 once a window was sealed (it does not say).
   */
  entries: number | undefined;
  /** Milliseconds from the last sealed window's last entry (else the stream's first) to the stream's last entry. */
  ms: number;
}

/** The time part of an entry id. */
const entryMs = (id: string) => Number(id.slice(0, id.indexOf('-')));

/** What one windower instance knows about one stream. */
export interface StreamWindowerStats {
  streamId: string;
  /** True while this instance holds the stream's lease (and has renewed it in time). */
  owned: boolean;
  /** The checkpoint as this instance last read or moved it. */
  checkpoint: string | undefined;
  /** Windows this instance turned into jobs, jobs it stored, and invalid entries it dead-lettered. */
  windows: number;
  jobs: number;
  deadLetters: number;
  /** Times this instance found that Redis had lost windowing progress, and windowed again from what Redis holds. */
  rewinds: number;
  /** True while a target's queue is full and no windows are cut. */
  backpressured: boolean;
  open: { firstEntryId: string; entries: number } | undefined;
}

/** The budgets that hold a stream's windows back: its own (when it has one) and its target providers'. */
function budgetScopes(stream: StreamConfig): string[] {
  const providers = [...new Set(stream.targets.map((target) => target.provider))].filter((id) => id !== 'heuristic');
  return [...(stream.budget ? [`stream:${stream.id}`] : []), ...providers.map((id) => `provider:${id}`)];
}

/**
 * How far windowing is behind a stream's end, as Redis holds it: entries after the last sealed window (Redis 7's
 * `entries-added` less those windowed; without it, the length before the first window, else unknown) and the time
 * between the checkpoint (or the first entry) and the last entry, from their ids. For the metrics, `turbostream
 * streams` and the dashboard.
 */
export async function readStreamLag(redis: RedisClient, keys: KeyLayout, streamId: string): Promise<StreamLag> {
  const [info, checkpoint] = await Promise.all([
    redis.xinfo('STREAM', keys.messages(streamId)).catch((error: unknown) => {
      if (error instanceof Error && /no such key/i.test(error.message)) return undefined;
      throw error;
    }),
    readCheckpoint(redis, keys, streamId),
  ]);
  if (!Array.isArray(info)) return { entries: 0, ms: 0 };
  const fields = new Map<string, unknown>();
  for (let index = 0; index + 1 < info.length; index += 2) fields.set(String(info[index]), info[index + 1]);
  const last = String(fields.get('last-generated-id') ?? '0-0');
  const first = fields.get('first-entry');
  const firstId = Array.isArray(first) ? String(first[0]) : undefined;
  const from = checkpoint.lastEntryId ?? firstId;
  const added = fields.get('entries-added');
  const entries =
    added !== undefined
      ? Math.max(0, Number(added) - checkpoint.entries)
      : checkpoint.lastEntryId === undefined
        ? Number(fields.get('length') ?? 0)
        : undefined;
  return { entries, ms: from === undefined ? 0 : Math.max(0, entryMs(last) - entryMs(from)) };
}

/** The window to go on with after the entries read so far. */
interface NextRead {
  open: OpenWindow | undefined;
  cursor: string | undefined;
  /** True when more entries may follow at once. */
  more: boolean;
}

/** True when the checkpoint is now behind where it was seen (`before`): Redis lost the writes that moved it. */
function wentBack(before: string | undefined, now: string | undefined): boolean {
  return before !== undefined && (now === undefined || compareEntryIds(now, before) < 0);
}

/** The later of two entry ids. */
function later(a: string | undefined, b: string): string {
  return a === undefined || compareEntryIds(b, a) > 0 ? b : a;
}

/** The stored window kept in place of the one cut again, with the invalid entries of the recut that it covers. */
function keepStored(diverged: DivergedWindow, recut: SealedWindow | undefined): SealedWindow {
  const { stored } = diverged;
  const invalid = (recut?.invalid ?? []).filter((entry) => compareEntryIds(entry.id, stored.lastEntryId) <= 0);
  return { window: stored, invalid, entries: stored.messages.length + stored.gaps.length + invalid.length };
}

/**
 * Windows one stream while it holds the stream's lease: polls the Redis
 * stream from the checkpoint, cuts windows, stores one job per target, then
 * moves the checkpoint (fenced by the lease, and by a compare-and-set against
 * where it last saw it) and trims what is windowed. Holds at most one open
 * window and one chunk of entries.
 *
 * When Redis loses acknowledged writes (restarted from an older snapshot, a
 * failover to a lagging replica), the checkpoint goes back, or entries it had
 * read are gone: it notices on its next read or commit, forgets what it held
 * and windows again from the checkpoint Redis holds. The windows come out the
 * same where Redis still holds their entries, and so do their job ids: jobs
 * that survived are kept, lost ones are stored again.
 */
export class StreamWindower {
  readonly #options: StreamWindowerOptions;
  /** The stream as configured, with the targets in force (the file's, or those set while running). */
  #stream: StreamConfig;
  #overridden = false;
  readonly #targetSource: StreamTargetSource;
  readonly #logger: Logger;
  readonly #ownership: StreamOwnership;
  readonly #checkpoint: Checkpoint;
  readonly #gate: QueueGate;
  /** False until the checkpoint is read under the current ownership; the cursor and open window are then valid. */
  #loaded = false;
  #cursor: string | undefined;
  /** The checkpoint as last read or moved by this instance. */
  #committed: string | undefined;
  #open: OpenWindow | undefined;
  /** The latest window id this instance has sent jobs for (kept across reloads). */
  #addedUpTo: string | undefined;
  /** Windows up to this id, cut again after a reload, are checked against the jobs stored for them. */
  #verifyUpTo: string | undefined;
  #failing = false;
  readonly #counts = { windows: 0, jobs: 0, deadLetters: 0, rewinds: 0 };
  /** The next pass, and when it is due (`performance.now()` ms). */
  #timer: NodeJS.Timeout | undefined;
  #due: number | undefined;
  /** Set when something asked for a pass while one ran: another runs right after it. */
  #again = false;
  /**
   * Between passes, the open window with the entries the tail told of since, cut the same way: a pass runs once they
   * would seal a window (by count, bytes, or an entry past its deadline), or at its deadline.
   */
  #preview: OpenWindow | undefined;
  /** The last entry id the preview holds (or the cursor, right after a pass). */
  #seen: string | undefined;
  /** Redis server time at the last read, and `performance.now()` then: the clock deadlines are timed by. */
  #serverTime = { at: 0, local: 0 };
  readonly #follower: TailFollower = {
    onEntries: (entries) => this.#onEntries(entries),
    onReset: () => this.#wake(),
  };
  #running: Promise<void> | undefined;
  #started = false;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: StreamWindowerOptions) {
    const { redis, keys, stream, owner, settings, clock } = options;
    this.#options = options;
    this.#stream = stream;
    this.#logger = options.logger.child({ streamId: stream.id });
    const lease = new Lease({ redis, key: keys.windowLease(stream.id), owner, ttlMs: settings.leaseMs });
    this.#ownership = new StreamOwnership({
      lease,
      ttlMs: settings.leaseMs,
      clock,
      logger: this.#logger,
      onLost: () => this.#reset(),
    });
    this.#checkpoint = new Checkpoint({ redis, keys, streamId: stream.id, owner });
    this.#targetSource = new StreamTargetSource({ overrides: options.overrides, stream });
    this.#gate = new QueueGate({
      queues: options.queues,
      perWindow: jobsPerWindow(stream),
      maxQueued: settings.maxQueued,
      logger: this.#logger,
      ...(options.budgets ? { budgets: { watch: options.budgets, scopes: () => budgetScopes(this.#stream) } } : {}),
    });
  }

  /** The targets windows are analysed by from now on, and whether they were set while running. */
  get targets(): { targets: StreamConfig['targets']; overridden: boolean } {
    return { targets: this.#stream.targets, overridden: this.#overridden };
  }

  get stats(): StreamWindowerStats {
    return {
      streamId: this.#stream.id,
      owned: this.#ownership.holds(this.#ownership.epoch),
      checkpoint: this.#committed,
      ...this.#counts,
      backpressured: this.#gate.closed,
      open: this.#open && { firstEntryId: this.#open.firstEntryId, entries: this.#open.entries },
    };
  }

  /** The stream's lag as Redis holds it now, when this instance owns the stream (else `undefined`). */
  async lag(): Promise<StreamLag | undefined> {
    if (!this.#ownership.holds(this.#ownership.epoch)) return undefined;
    return readStreamLag(this.#options.redis, this.#options.keys, this.#stream.id);
  }

  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    this.#wake();
  }

  /**
   * What no new entry tells of, checked by the windower every `pollMs`: a free lease, a full queue or a spent budget
   * that may have cleared, a failure to retry, targets set while running. Runs a pass when one of them asks for it;
   * a stream that is owned, idle and open to windows costs no Redis command here (the targets are read once for all).
   */
  tick(): void {
    if (!this.#started || this.#closing || this.#running) return;
    if (!this.#ownership.owned || !this.#loaded || this.#gate.closed || this.#failing) {
      this.#wake();
      return;
    }
    this.#targetSource.current().then(
      ({ targets, samples }) => {
        if (!sameTargets(targets, this.#stream.targets, samples, this.#stream.samples)) this.#wake();
      },
      () => this.#wake(), // the pass reports it
    );
  }

  /** Stops windowing, waits for the pass in progress (up to a deadline) and releases the lease. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    this.#options.tail.unfollow(this.#options.keys.messages(this.#stream.id));
    const deadline = new Promise((resolve) => setTimeout(resolve, this.#options.closeTimeoutMs).unref());
    await Promise.race([this.#running, deadline]);
    try {
      await this.#ownership.release(); // a pass still running after the deadline is fenced out by the lease
    } catch (err) {
      this.#logger.warn({ err }, 'could not release the stream lease; it expires on its own');
    }
    this.#reset();
  }

  #wake(): void {
    this.#schedule(0);
  }

  /** Runs a pass in `delayMs`, unless one is due sooner; asked for now while one runs, another follows it. */
  #schedule(delayMs: number): void {
    if (this.#closing || !this.#started) return;
    if (this.#running) {
      if (delayMs === 0) this.#again = true;
      return;
    }
    const due = performance.now() + delayMs;
    if (this.#timer && this.#due !== undefined && this.#due <= due) return;
    clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(() => this.#run(), delayMs);
  }

  #run(): void {
    this.#timer = undefined;
    this.#due = undefined;
    this.#again = false;
    this.#running = this.#pass()
      .catch((err: unknown) => this.#failed(err))
      .finally(() => {
        this.#running = undefined;
        this.#afterPass();
      });
  }

  /**
   * At the stream's end, owned and open to windows: follows the stream's new entries and times the open window's
   * deadline. Otherwise the windower's tick runs the next pass (a lease to take, a queue or budget to wait for).
   */
  #afterPass(): void {
    if (this.#closing) return;
    if (this.#again) {
      this.#wake();
      return;
    }
    const key = this.#options.keys.messages(this.#stream.id);
    if (!this.#ownership.holds(this.#ownership.epoch) || !this.#loaded || this.#gate.closed || this.#failing) {
      // Not followed meanwhile: a paused stream's entries would be read for nothing while the source keeps sending.
      this.#options.tail.unfollow(key);
      return;
    }
    this.#preview = this.#open;
    this.#seen = this.#cursor;
    this.#options.tail.follow(key, this.#cursor ?? '0-0', this.#follower);
    if (this.#open) this.#schedule(this.#untilDeadline(this.#open.deadline));
  }

  /** Milliseconds until Redis's clock reaches `deadline` (a pass then seals the window), by the last time read. */
  #untilDeadline(deadline: number): number {
    const serverNow = this.#serverTime.at + (performance.now() - this.#serverTime.local);
    return Math.max(0, Math.ceil(deadline - serverNow) + 1);
  }

  /** New entries told by the tail: a pass runs when they seal a window; a window they open is timed. */
  #onEntries(entries: TailEntry[]): void {
    // Paused by a full queue or a spent budget, or failing: the windower's tick runs the next pass.
    if (this.#closing || !this.#loaded || this.#gate.closed || this.#failing) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const seen = this.#seen;
    const fresh = seen === undefined ? entries : entries.filter(([id]) => compareEntryIds(id, seen) > 0);
    const last = fresh.at(-1);
    if (!last) return;
    this.#seen = last[0];
    const cut = cutWindows({
      streamId: this.#stream.id,
      limits: this.#stream.window,
      entries: fresh.map(([id, fields]) => parseStreamEntry(id, fields)),
      open: this.#preview,
    });
    if (cut.sealed.length > 0) {
      this.#wake();
      return;
    }
    const opened = this.#preview === undefined;
    this.#preview = cut.open;
    if (opened && cut.open) this.#schedule(this.#untilDeadline(cut.open.deadline));
  }

  /** One pass: take the lease if free, then window until the stream's end, backpressure or loss of the lease. */
  async #pass(): Promise<void> {
    if (!this.#ownership.owned) {
      if (this.#closing || !(await this.#ownership.acquire())) return;
      this.#reset();
    }
    const epoch = this.#ownership.epoch;
    await this.#refreshTargets();
    while (this.#ownership.holds(epoch) && !this.#closing) {
      if (await this.#gate.isFull()) break;
      if (!(await this.#step(epoch))) break;
    }
    if (this.#failing) this.#logger.info('windowing recovered');
    this.#failing = false;
  }

  /** Reads one chunk and stores the windows it seals. True when more entries may follow at once. */
  async #step(epoch: number): Promise<boolean> {
    if (!this.#loaded && !(await this.#load(epoch))) return false;
    // Past the checkpoint, the read starts at the last entry read, which must still be there.
    const inclusive = this.#cursor !== undefined && this.#cursor !== this.#committed;
    const start = this.#cursor === undefined ? '-' : inclusive ? this.#cursor : `(${this.#cursor}`;
    const { chunkSize } = this.#options;
    const chunk = await readStreamChunk({
      ...this.#options,
      streamId: this.#stream.id,
      start,
      count: chunkSize + (inclusive ? 1 : 0),
    });
    if (!this.#ownership.holds(epoch)) return false;
    this.#serverTime = { at: chunk.now, local: performance.now() };
    if (this.#lostProgress(chunk, inclusive)) {
      this.#reset();
      return true;
    }
    const raw = inclusive ? chunk.entries.slice(1) : chunk.entries;
    const atEnd = raw.length < chunkSize;
    const entries = raw.map(([id, fields]) => parseStreamEntry(id, fields));
    const cut = cutWindows({
      streamId: this.#stream.id,
      limits: this.#stream.window,
      entries,
      open: this.#open,
      now: atEnd ? chunk.now : undefined,
    });
    let sealed = cut.sealed;
    let next: NextRead = { open: cut.open, cursor: raw.at(-1)?.[0] ?? this.#cursor, more: !atEnd };
    const diverged = await this.#diverged(sealed);
    if (diverged) {
      sealed = [...sealed.slice(0, diverged.index), keepStored(diverged, sealed[diverged.index])];
      next = { open: undefined, cursor: diverged.stored.lastEntryId, more: true };
    }
    const stored = await this.#store(sealed, chunk.now, epoch);
    if (!this.#ownership.holds(epoch)) return false;
    if (stored < sealed.length) {
      this.#loaded = false; // the rest is cut again from the checkpoint once the queues have room
      return false;
    }
    this.#open = next.open;
    this.#cursor = next.cursor;
    return next.more;
  }

  /**
   * Reads the checkpoint under the current ownership: windowing goes on from there. False when ownership ended
   * meanwhile.
   */
  async #load(epoch: number): Promise<boolean> {
    const state = await this.#checkpoint.read();
    if (!this.#ownership.holds(epoch)) return false;
    if (wentBack(this.#committed, state.lastEntryId)) {
      this.#noticeLoss('the checkpoint went back', { was: this.#committed ?? null, now: state.lastEntryId ?? null });
    }
    this.#cursor = state.lastEntryId;
    this.#committed = state.lastEntryId;
    this.#open = undefined;
    const beyond = this.#addedUpTo !== undefined && compareEntryIds(this.#addedUpTo, state.lastEntryId ?? '0-0') > 0;
    this.#verifyUpTo = beyond ? this.#addedUpTo : undefined;
    this.#loaded = true;
    return true;
  }

  /**
   * True when Redis no longer holds what this instance holds: the checkpoint
   * is not where it last saw it, or the last entry it read (kept in its open
   * window) is gone. Either way the checkpoint is read again.
   */
  #lostProgress(chunk: StreamChunk, inclusive: boolean): boolean {
    if (chunk.checkpoint !== this.#committed) return true; // #load tells whether it went back
    if (!inclusive || chunk.entries[0]?.[0] === this.#cursor) return false;
    this.#noticeLoss('entries it had read are gone from the stream', {
      lastRead: this.#cursor ?? null,
      checkpoint: this.#committed ?? null,
    });
    return true;
  }

  /**
   * Among windows this instance may have stored jobs for before a reload, the first whose stored job holds another
   * window.
   */
  async #diverged(sealed: readonly SealedWindow[]): Promise<DivergedWindow | undefined> {
    const upTo = this.#verifyUpTo;
    if (upTo === undefined) return undefined;
    const checked = sealed.filter(({ window }) => compareEntryIds(window.windowId, upTo) <= 0);
    if (checked.length < sealed.length) this.#verifyUpTo = undefined;
    const diverged =
      checked.length > 0 ? await findDivergedWindow(this.#options.queues, this.#stream, checked) : undefined;
    if (diverged) {
      const { windowId, lastEntryId } = diverged.stored;
      this.#logger.warn(
        { windowId, lastEntryId },
        'kept a window whose jobs were stored from entries Redis has since lost; windowing goes on after it',
      );
    }
    return diverged;
  }

  #noticeLoss(reason: string, details: Record<string, string | null>): void {
    this.#counts.rewinds += 1;
    this.#logger.warn(
      { reason, ...details },
      `Redis lost windowing progress (${reason}); windowing again from the checkpoint Redis holds`,
    );
  }

  /** Stores jobs for as many sealed windows as the queues take, then moves the checkpoint past them. */
  async #store(sealed: readonly SealedWindow[], now: number, epoch: number): Promise<number> {
    const count = await this.#gate.admit(sealed);
    const batch = sealed.slice(0, count);
    const last = batch.at(-1);
    if (!last) return 0;
    const enqueuedAt = this.#options.clock();
    const jobs = batch.flatMap((item) => windowJobs(this.#stream, item.window, enqueuedAt));
    const invalid = batch.flatMap((item) => item.invalid);
    if (invalid.length > 0) {
      // Written before the checkpoint moves past them: a crash in between may record one twice, never lose one.
      const streamId = this.#stream.id;
      await writeDeadLetters(
        this.#options.redis,
        this.#options.keys,
        invalid.map((entry) =>
          deadLetter({
            streamId,
            reason: 'invalid-entry',
            detail: entry.detail,
            payload: entry.payload,
            receivedAt: entry.receivedAt,
          }),
        ),
      );
      for (const entry of invalid) {
        this.#logger.warn(
          { entryId: entry.id, detail: entry.detail },
          'invalid stream entry kept aside as a dead letter',
        );
        await this.#options.events?.publish({
          type: 'deadletter',
          streamId,
          message: entry.detail,
          details: { entryId: entry.id, reason: 'invalid-entry' },
        });
      }
      this.#counts.deadLetters += invalid.length;
      this.#options.metrics.metric('deadLetters').inc({ stream: streamId, reason: 'invalid-entry' }, invalid.length);
    }
    if (!this.#ownership.holds(epoch)) return 0;
    if (jobs.length > 0) {
      this.#addedUpTo = later(this.#addedUpTo, last.window.windowId);
      await this.#options.queues.add(jobs);
    }
    if (!this.#ownership.holds(epoch)) return 0;
    const lastEntryId = last.window.lastEntryId;
    const windows = batch.filter((item) => item.window.messages.length > 0);
    const outcome = await this.#checkpoint.commit({
      expected: this.#committed,
      lastEntryId,
      windows: windows.length,
      entries: batch.reduce((sum, item) => sum + item.entries, 0),
      trimBelow: trimThreshold(lastEntryId, now, this.#options.settings.retentionMs),
      updatedAt: this.#options.clock(),
    });
    if (outcome.status === 'lease-lost') {
      if (epoch === this.#ownership.epoch)
        this.#ownership.lose('checkpoint refused: another windower holds the stream');
      return 0;
    }
    if (outcome.status === 'elsewhere') return 0; // read again from the checkpoint; #load tells whether it went back
    const { trimmed } = outcome;
    this.#committed = lastEntryId;
    this.#counts.windows += windows.length;
    this.#counts.jobs += jobs.length;
    this.#options.metrics.metric('windowsSealed').inc({ stream: this.#stream.id }, windows.length);
    for (const { window } of windows) {
      this.#logger.debug(
        { windowId: window.windowId, messages: window.messages.length, bytes: window.bytes, closedBy: window.closedBy },
        'window closed',
      );
    }
    if (trimmed > 0) this.#logger.debug({ trimmed }, 'trimmed windowed entries');
    return count;
  }

  /** Takes up targets set while running; windows sealed from now on are analysed by them. */
  async #refreshTargets(): Promise<void> {
    const { targets, samples, overridden } = await this.#targetSource.current();
    this.#overridden = overridden;
    if (sameTargets(targets, this.#stream.targets, samples, this.#stream.samples)) return;
    const before = describeTargets(this.#stream.targets, this.#stream.samples);
    const { samples: _before, ...rest } = this.#stream;
    this.#stream = { ...rest, targets, ...(samples ? { samples } : {}) };
    this.#gate.setPerWindow(jobsPerWindow(this.#stream));
    const message =
      `stream ${this.#stream.id}: windows from now on are analysed by ${describeTargets(targets, samples)} ` +
      `(was ${before})`;
    this.#logger.info({ targets, samples, overridden }, 'analysis targets changed');
    await this.#options.events?.publish({
      type: 'stream.targets-changed',
      streamId: this.#stream.id,
      message,
      details: { targets, ...(samples ? { samples } : {}), overridden },
    });
  }

  /** Forgets the cursor and open window, and stops following the stream; the next pass starts again from the checkpoint. */
  #reset(): void {
    this.#loaded = false;
    this.#open = undefined;
    this.#preview = undefined;
    this.#options.tail.unfollow(this.#options.keys.messages(this.#stream.id));
  }

  #failed(err: unknown): void {
    this.#reset();
    if (this.#failing) this.#logger.debug({ err }, 'windowing failed again');
    else this.#logger.warn({ err }, 'windowing failed; retrying from the checkpoint');
    this.#failing = true;
    const epoch = this.#ownership.epoch;
    if (this.#ownership.owned && !this.#ownership.holds(epoch))
      this.#ownership.lose('lease could not be renewed in time', err);
  }
}
