import type { ProviderId } from '@turbostream/contracts';
import { costUsd, type ModelPrice, type TokenUsage } from './cost.js';
import { BUILT_IN_PRICES, findPriceRow, type PriceRow } from './price-table.js';

/** Strips a row down to its price. */
function priceOfRow({ provider: _provider, model: _model, ...price }: PriceRow): ModelPrice {
  return price;
}

/**
 * The prices in force: the built-in table with the user's rows over it. A user row for the same provider and model
 * replaces the built-in one; a user row for a new model adds it. Lookups follow {@link findPriceRow} over both at
 * once, so a user's `gpt-4o` row never prices `gpt-4o-mini` while the built-in `gpt-4o-mini` row exists.
 * The user's rows can be replaced while the book is in use ({@link setUserRows}, what the price file watch does).
 */
export class PriceBook {
  readonly #builtIn: readonly PriceRow[];
  #user: readonly PriceRow[];
  #table: readonly PriceRow[];

  constructor(options: { builtIn?: readonly PriceRow[]; user?: readonly PriceRow[] } = {}) {
    this.#builtIn = options.builtIn ?? BUILT_IN_PRICES;
    this.#user = options.user ?? [];
    this.#table = [...this.#builtIn, ...this.#user];
  }

  /**
   * The price of `model` of `provider`, or `undefined` when neither the built-in table nor the user's rows price it.
   * For Azure OpenAI, `model` is the deployment name.
   */
  priceOf(provider: ProviderId, model: string): ModelPrice | undefined {
    const row = findPriceRow(this.#table, provider, model);
    return row ? priceOfRow(row) : undefined;
  }

  /** What a call with this usage cost in US dollars, or `null` when the model has no price. */
  costOf(provider: ProviderId, model: string, usage: TokenUsage): number | null {
    const price = this.priceOf(provider, model);
    return price ? costUsd(usage, price) : null;
  }

  /** The user's rows in force. */
  get userRows(): readonly PriceRow[] {
    return this.#user;
  }

  /** Replaces the user's rows (a price file read again); the built-in rows stay. */
  setUserRows(rows: readonly PriceRow[]): void {
    this.#user = rows;
    this.#table = [...this.#builtIn, ...rows];
  }
}
