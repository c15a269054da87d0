import {
  type Budget,
  formatTarget,
  MODEL_ANSWER_JSON_SCHEMA,
  type ProviderId,
  type WindowJob,
} from '@turbostream/contracts';
import {
  type BudgetLedger,
  costUsd,
  type PriceBook,
  type Refusal,
  type Reservation,
  type ScopedBudget,
  type TokenUsage,
} from '@turbostream/costs';
import { estimateInputTokens } from '@turbostream/costs/estimate-tokens';
import { buildPrompt } from '@turbostream/providers';
import type { EventPublisher } from '@turbostream/redis';

/** The reservation of a call no budget limits: nothing to settle. */
const UNLIMITED: Reservation = { kind: 'reserved', scopes: [], estimate: { usd: 0, tokens: 0 }, day: 0, minute: 0 };

/** The answer schema goes with every call (as a response format or a tool): its tokens are input too. */
const SCHEMA_TEXT = JSON.stringify(MODEL_ANSWER_JSON_SCHEMA);

export interface SpendGuardOptions {
  ledger: BudgetLedger;
  prices: PriceBook;
  events: EventPublisher;
  /** Each provider's budget from this analyzer's environment. */
  providerBudgets: ReadonlyMap<ProviderId, Budget>;
  /** `LLM_MAX_TOKENS`: the most output a call may cost. */
  maxTokens: number;
}

/**
 * The most a job's call is expected to use: its prompt (system text, window, answer schema) counted with the model
 * family's tokenizer, and `maxTokens` of output (the heuristic calls no model: nothing).
 */
export function estimateCall(job: WindowJob, maxTokens: number): TokenUsage {
  const { provider, model } = job.target;
  if (provider === 'heuristic') return { inputTokens: 0, outputTokens: 0 };
  const prompt = buildPrompt(job.instructions, job.window);
  return {
    inputTokens: estimateInputTokens(provider, model, [prompt.system, prompt.user, SCHEMA_TEXT]),
    outputTokens: maxTokens,
  };
}

/** Why a job may not call its provider now. */
export type SpendVerdict =
  | { kind: 'go'; reservation: Reservation }
  | { kind: 'wait'; refusal: Refusal }
  | { kind: 'never'; message: string };

/**
 * The budgets of one call: before it, its estimated cost and tokens are reserved against its stream's budget and
 * its provider's, across every analyzer (see BudgetLedger); after it, what it used is settled.
 */
export class SpendGuard {
  readonly #options: SpendGuardOptions;

  constructor(options: SpendGuardOptions) {
    this.#options = options;
  }

  #scopes(job: WindowJob): ScopedBudget[] {
    const provider = this.#options.providerBudgets.get(job.target.provider) ?? {};
    return [
      { scope: `stream:${job.window.streamId}`, budget: job.budget ?? {} },
      { scope: `provider:${job.target.provider}`, budget: provider },
    ];
  }

  /** Reserves the call's estimate, or says how long to wait (a budget is spent) or that it can never run. */
  async reserve(job: WindowJob): Promise<SpendVerdict> {
    const { ledger, prices, maxTokens } = this.#options;
    // The heuristic calls no model and costs nothing: no budget holds it up.
    if (job.target.provider === 'heuristic') return { kind: 'go', reservation: UNLIMITED };
    const scopes = this.#scopes(job);
    const limited = scopes.filter(
      ({ budget }) => budget.usdPerDay !== undefined || budget.tokensPerMinute !== undefined,
    );
    if (limited.length === 0) return { kind: 'go', reservation: UNLIMITED };
    const { provider, model } = job.target;
    const { inputTokens: input, outputTokens: output } = estimateCall(job, maxTokens);
    let usd = 0;
    if (limited.some(({ budget }) => budget.usdPerDay !== undefined)) {
      const price = prices.priceOf(provider, model);
      if (!price)
        return {
          kind: 'never',
          message:
            `no price for ${formatTarget(job.target)}, and a dollar budget applies to it: add the model to the ` +
            'price file (TURBOSTREAM_PRICES_FILE) or set only tokensPerMinute',
        };
      usd = costUsd({ inputTokens: input, outputTokens: output }, price);
    }
    const verdict = await ledger.reserve(limited, { usd, tokens: input + output });
    if (verdict.kind === 'reserved') return { kind: 'go', reservation: verdict };
    if (verdict.kind === 'too-large')
      return {
        kind: 'never',
        message:
          `this window alone needs about ${verdict.limit === 'usdPerDay' ? `$${usd.toFixed(4)}` : `${input + output} tokens`}` +
          `, over the ${verdict.limit} budget of ${verdict.scope} (${verdict.value}): raise the budget or make windows smaller`,
      };
    if (verdict.first) await this.#report(job, verdict);
    return { kind: 'wait', refusal: verdict };
  }

  /** Settles a reservation with what the call used; `usage` undefined: unknown (the estimate stays counted). */
  async settle(job: WindowJob, reservation: Reservation, usage: TokenUsage | undefined): Promise<void> {
    if (reservation.scopes.length === 0) return;
    if (!usage) return;
    const price = this.#options.prices.priceOf(job.target.provider, job.target.model);
    await this.#options.ledger.settle(reservation, {
      usd: price ? costUsd(usage, price) : undefined,
      tokens: usage.inputTokens + usage.outputTokens,
    });
  }

  /** Gives a reservation back whole: the call was not made (or the provider refused it before any work). */
  async release(reservation: Reservation): Promise<void> {
    await this.#options.ledger.settle(reservation, { usd: 0, tokens: 0 });
  }

  async #report(job: WindowJob, refusal: Refusal): Promise<void> {
    const [kind, id] = refusal.scope.split(':');
    const what = refusal.limit === 'usdPerDay' ? `$${refusal.value} a day` : `${refusal.value} tokens a minute`;
    await this.#options.events.publish({
      type: 'budget.exhausted',
      ...(kind === 'stream' ? { streamId: id } : {}),
      message:
        `budget of ${refusal.scope} spent (${what}): its windows wait until ` +
        `${new Date(refusal.resetsAt).toISOString()}, none is dropped or sent elsewhere`,
      details: {
        scope: refusal.scope,
        streamId: job.window.streamId,
        provider: job.target.provider,
        model: job.target.model,
        limit: refusal.limit,
        value: refusal.value,
        resetsAt: new Date(refusal.resetsAt).toISOString(),
      },
    });
  }
}
