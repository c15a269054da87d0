import type { ProviderId } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { AnalysisProducer } from '@turbostream/queue';
import type { BudgetWatch, SpentBudget } from './budget-watch.js';
import type { SealedWindow } from './window-cutter.js';

export interface QueueGateOptions {
  queues: AnalysisProducer;
  /** How many jobs each window puts on each provider's queue. */
  perWindow: ReadonlyMap<ProviderId, number>;
  /** A provider's backlog at which no more windows are cut for it. */
  maxQueued: number;
  logger: Logger;
  /** Spent budgets (of the stream, or of a target's provider) close the gate too. */
  budgets?: { watch: BudgetWatch; scopes: () => readonly string[] };
}

/**
 * Backpressure for one stream: lets windows through while every target
 * provider's queue holds fewer than `maxQueued` untaken jobs and no budget of
 * the stream or of a target's provider is spent. While it is closed the Redis
 * stream is the buffer. Logs once when it closes and once when it opens again.
 */
export class QueueGate {
  #options: QueueGateOptions;
  #closed = false;
  #spent: SpentBudget | undefined;

  constructor(options: QueueGateOptions) {
    this.#options = options;
  }

  /** Follows a change of the stream's targets. */
  setPerWindow(perWindow: ReadonlyMap<ProviderId, number>): void {
    this.#options = { ...this.#options, perWindow };
  }

  /** True while windowing is paused by a full queue or a spent budget. */
  get closed(): boolean {
    return this.#closed || this.#spent !== undefined;
  }

  /** Checks the budgets and the backlogs; true when a budget is spent or some target's queue is full. */
  async isFull(): Promise<boolean> {
    if (await this.#budgetSpent()) return true;
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
    if (sealed.some(({ window }) => window.messages.length > 0) && (await this.#budgetSpent())) {
      // Windows without messages make no jobs: those before the first with messages still go.
      const first = sealed.findIndex(({ window }) => window.messages.length > 0);
      return first;
    }
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

  /** True while a budget of the stream or of a target's provider is spent; logs when that starts and ends. */
  async #budgetSpent(): Promise<boolean> {
    const { budgets, logger } = this.#options;
    if (!budgets) return false;
    const spent = await budgets.watch.spent(budgets.scopes());
    if (spent && !this.#spent)
      logger.info(
        { scope: spent.scope, limit: spent.limit, resetsAt: new Date(spent.resetsAt).toISOString() },
        'budget spent: windowing paused until it rolls over (the stream buffers meanwhile)',
      );
    if (!spent && this.#spent) logger.info({ scope: this.#spent.scope }, 'budget rolled over: windowing resumed');
    this.#spent = spent;
    return spent !== undefined;
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
