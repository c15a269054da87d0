import type { ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { AnalysisProducer } from '@turbostream/queue';
import type { SealedWindow } from './window-cutter.js';

export interface QueueGateOptions {
  queues: AnalysisProducer;
  /** How many jobs each window puts on each provider's queue. */
  perWindow: ReadonlyMap<ProviderId, number>;
  /** A provider's backlog at which no more windows are cut for it. */
  maxQueued: number;
  logger: Logger;
}

/**
 * Backpressure for one stream: lets windows through while every target
 * provider's queue holds fewer than `maxQueued` untaken jobs. While it is
 * closed the Redis stream is the buffer. Logs once when it closes and once
 * when it opens again.
 */
export class QueueGate {
  #options: QueueGateOptions;
  #closed = false;

  constructor(options: QueueGateOptions) {
    this.#options = options;
  }

  /** Follows a change of the stream's targets. */
  setPerWindow(perWindow: ReadonlyMap<ProviderId, number>): void {
    this.#options = { ...this.#options, perWindow };
  }

  /** True while windowing is paused by a full queue. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Checks the backlogs; true when some target's queue is full. */
  async isFull(): Promise<boolean> {
    for (const provider of this.#options.perWindow.keys()) {
      if ((await this.#options.queues.backlog(provider)) >= this.#options.maxQueued) {
        this.#close(provider);
        return true;
      }
    }
    if (this.#closed) this.#options.logger.info('backpressure over: windowing resumed');
    this.#closed = false;
    return false;
  }

  /**
   * How many of `sealed`, from the first, may be stored now: a window with
   * messages goes while each of its providers has room; windows without
   * messages make no jobs and always go.
   */
  async admit(sealed: readonly SealedWindow[]): Promise<number> {
    const room = new Map<ProviderId, number>();
    for (const provider of this.#options.perWindow.keys()) {
      room.set(provider, this.#options.maxQueued - (await this.#options.queues.backlog(provider)));
    }
    let count = 0;
    for (const { window } of sealed) {
      if (window.messages.length > 0) {
        const full = [...room].find(([, free]) => free <= 0);
        if (full) {
          this.#close(full[0]);
          break;
        }
        for (const [provider, jobs] of this.#options.perWindow) room.set(provider, (room.get(provider) ?? 0) - jobs);
      }
      count += 1;
    }
    return count;
  }

  #close(provider: ProviderId): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.logger.info(
      { provider, maxQueued: this.#options.maxQueued },
      'backpressure: analysis queue full, windowing paused (the stream buffers meanwhile)',
    );
  }
}
