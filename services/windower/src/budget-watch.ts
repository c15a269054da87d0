import type { BudgetLedger } from '@turbostream/costs';

/** A budget that ran out: which limit, and when its period rolls over (epoch ms). */
export interface SpentBudget {
  scope: string;
  limit: string;
  resetsAt: number;
}

interface Cached {
  at: number;
  spent: Promise<SpentBudget | undefined>;
}

/**
 * Whether budgets ran out (the analyzers mark it in the ledger, see libs/costs), read at most once per `ttlMs` per
 * scope for the whole windower, however many streams share a provider. A stream whose budget, or whose target
 * provider's budget, is spent cuts no windows until it rolls over: its messages wait in the Redis stream (durable,
 * trimmed only once windowed), and the other streams of the provider keep the queue to themselves.
 */
export class BudgetWatch {
  readonly #ledger: BudgetLedger;
  readonly #clock: () => number;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, Cached>();

  constructor(options: { ledger: BudgetLedger; clock: () => number; ttlMs?: number }) {
    this.#ledger = options.ledger;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? 1_000;
  }

  /** The first of `scopes` whose budget is spent now, if any. */
  async spent(scopes: readonly string[]): Promise<SpentBudget | undefined> {
    for (const scope of scopes) {
      const found = await this.#read(scope);
      if (found && found.resetsAt > this.#clock()) return found;
    }
    return undefined;
  }

  #read(scope: string): Promise<SpentBudget | undefined> {
    const now = this.#clock();
    const cached = this.#cache.get(scope);
    if (cached && now - cached.at < this.#ttlMs) return cached.spent;
    const spent = this.#ledger.status(scope, now).then(
      ({ exhausted }) => {
        const [first] = exhausted;
        return first && { scope, limit: first.limit, resetsAt: first.resetsAt };
      },
      (error: unknown) => {
        // Unknown is not spent: a failed read never holds windowing up (the analyzers check again before calling).
        this.#cache.delete(scope);
        throw error;
      },
    );
    this.#cache.set(scope, { at: now, spent });
    return spent;
  }
}
