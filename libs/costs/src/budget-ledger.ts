import type { Budget, BudgetLimit } from '@turbostream/contracts';
import type { KeyLayout, RedisClient } from '@turbostream/redis';

// One hash per budget scope (`stream:<id>`, `provider:<id>`), all of a namespace on one cluster slot:
//   usd:<day>  nano-dollars spent or reserved in UTC day <day> (days since the epoch)
//   tok:<min>  tokens spent or reserved in minute <min> (minutes since the epoch)
//   x:usd:<day>, x:tok:<min>  when (Redis ms) that period's budget ran out: no reservation until the period ends
//   calls:<day>  reservations made in UTC day <day>; x:calls:<day>  how many there were when a budget last ran out
// Fields of earlier periods are removed as reservations go by. Times are the Redis server's, so every analyzer
// agrees on the period whatever its own clock says.

/** The periods budgets count in: a UTC day and a minute (shorter ones in tests only). */
export interface BudgetPeriods {
  dayMs: number;
  minuteMs: number;
}

const REAL_PERIODS: BudgetPeriods = { dayMs: 86_400_000, minuteMs: 60_000 };

/**
 * KEYS: the scopes' hashes. ARGV: the estimated nano-dollars and tokens, the day's and the minute's length in ms,
 * then per scope its dollar limit in nano-dollars and its token limit (-1: none).
 * Returns {0, day, minute} when reserved (every limit counted the estimate), else
 * {scope index, 'usdPerDay'|'tokensPerMinute', reset epoch ms, 1 when this call exhausted it (0: it already was),
 * and 'too-large' as a 5th element when the estimate alone exceeds the limit}.
 */
const RESERVE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dayMs = tonumber(ARGV[3])
local minuteMs = tonumber(ARGV[4])
local day = math.floor(now / dayMs)
local minute = math.floor(now / minuteMs)
local usd = tonumber(ARGV[1])
local tok = tonumber(ARGV[2])
local periods = { usdPerDay = { 'usd:' .. day, usd, (day + 1) * dayMs },
  tokensPerMinute = { 'tok:' .. minute, tok, (minute + 1) * minuteMs } }
for i, key in ipairs(KEYS) do
  local limits = { usdPerDay = tonumber(ARGV[3 + 2 * i]), tokensPerMinute = tonumber(ARGV[4 + 2 * i]) }
  for _, name in ipairs({ 'usdPerDay', 'tokensPerMinute' }) do
    local limit = limits[name]
    local period = periods[name]
    if limit >= 0 then
      if period[2] > limit then return { i, name, period[3], 0, 'too-large' } end
      if redis.call('HEXISTS', key, 'x:' .. period[1]) == 1 then return { i, name, period[3], 0 } end
      local spent = tonumber(redis.call('HGET', key, period[1]) or '0')
      if spent + period[2] > limit then
        redis.call('HSET', key, 'x:' .. period[1], now, 'x:calls:' .. day, redis.call('HGET', key, 'calls:' .. day) or 0)
        redis.call('PEXPIRE', key, 2 * dayMs)
        return { i, name, period[3], 1 }
      end
    end
  end
end
for i, key in ipairs(KEYS) do
  for _, field in ipairs(redis.call('HKEYS', key)) do
    local n = tonumber(string.match(field, ':(%d+)$'))
    local current = string.find(field, 'tok:', 1, true) and minute or day
    if n ~= nil and n < current then redis.call('HDEL', key, field) end
  end
  if tonumber(ARGV[3 + 2 * i]) >= 0 then redis.call('HINCRBY', key, periods.usdPerDay[1], usd) end
  if tonumber(ARGV[4 + 2 * i]) >= 0 then redis.call('HINCRBY', key, periods.tokensPerMinute[1], tok) end
  redis.call('HINCRBY', key, 'calls:' .. day, 1)
  redis.call('PEXPIRE', key, 2 * dayMs)
end
return { 0, day, minute }`;

/**
 * KEYS: the scopes' hashes. ARGV: day, minute, nano-dollars and tokens to add (negative: give back), then per scope
 * '1'/'0' for whether its dollar and its token limit were counted at reservation.
 */
const SETTLE = `for i, key in ipairs(KEYS) do
  if ARGV[3 + 2 * i] == '1' and redis.call('HEXISTS', key, 'usd:' .. ARGV[1]) == 1 then
    redis.call('HINCRBY', key, 'usd:' .. ARGV[1], ARGV[3]) end
  if ARGV[4 + 2 * i] == '1' and redis.call('HEXISTS', key, 'tok:' .. ARGV[2]) == 1 then
    redis.call('HINCRBY', key, 'tok:' .. ARGV[2], ARGV[4]) end
end
return 1`;

/** Nano-dollars: integers, so that Redis adds exactly (a million dollars is 1e15, within doubles' exact range). */
const NANO = 1_000_000_000;

/** One budget to check, with the scope its spending is kept under. */
export interface ScopedBudget {
  /** `stream:<id>` or `provider:<id>`. */
  scope: string;
  budget: Budget;
}

/** What a call is expected to use at most: its input counted, its output bounded by the maximum tokens. */
export interface SpendEstimate {
  /** US dollars; 0 when no dollar limit applies (no price is needed then). */
  usd: number;
  tokens: number;
}

/** A reservation held while the call runs; settle it with what the call used. */
export interface Reservation {
  readonly kind: 'reserved';
  readonly scopes: readonly ScopedBudget[];
  readonly estimate: SpendEstimate;
  readonly day: number;
  readonly minute: number;
}

/** No call: a budget is spent (or the call alone exceeds it) until `resetsAt`. */
export interface Refusal {
  readonly kind: 'exhausted' | 'too-large';
  readonly scope: string;
  readonly limit: BudgetLimit;
  /** The limit's value (US dollars or tokens). */
  readonly value: number;
  /** Epoch ms at which the period rolls over. */
  readonly resetsAt: number;
  /** True for the one reservation that found the budget spent: it reports it (once per period, across analyzers). */
  readonly first: boolean;
}

const limitArgs = ({ budget }: ScopedBudget) => [
  budget.usdPerDay === undefined ? -1 : Math.round(budget.usdPerDay * NANO),
  budget.tokensPerMinute ?? -1,
];

/**
 * Budgets shared by every analyzer: a call reserves its estimate against each budget that applies, atomically in
 * Redis, before it starts, and settles what it really used after. A budget that would be exceeded by a reservation is
 * spent for the rest of its period: nothing more is reserved against it until the period rolls over.
 */
export class BudgetLedger {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #periods: BudgetPeriods;

  /** `periods` is for tests, which cannot wait for a minute (let alone a day) to roll over. */
  constructor(options: { redis: RedisClient; keys: KeyLayout; periods?: BudgetPeriods }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#periods = options.periods ?? REAL_PERIODS;
  }

  /** Reserves `estimate` against every budget of `scopes` (scopes without a limit are skipped), or refuses. */
  async reserve(scopes: readonly ScopedBudget[], estimate: SpendEstimate): Promise<Reservation | Refusal> {
    const limited = scopes.filter(
      ({ budget }) => budget.usdPerDay !== undefined || budget.tokensPerMinute !== undefined,
    );
    if (limited.length === 0) return { kind: 'reserved', scopes: [], estimate, day: 0, minute: 0 };
    const reply = (await this.#redis.eval(
      RESERVE,
      limited.length,
      ...limited.map(({ scope }) => this.#keys.budget(scope)),
      Math.ceil(estimate.usd * NANO),
      Math.ceil(estimate.tokens),
      this.#periods.dayMs,
      this.#periods.minuteMs,
      ...limited.flatMap(limitArgs),
    )) as (number | string)[];
    const [index, second, third, fourth, fifth] = reply;
    if (index === 0) return { kind: 'reserved', scopes: limited, estimate, day: Number(second), minute: Number(third) };
    const scoped = limited[Number(index) - 1];
    const limit = second as BudgetLimit;
    if (!scoped) throw new Error(`unexpected budget reply ${JSON.stringify(reply)}`);
    return {
      kind: fifth === 'too-large' ? 'too-large' : 'exhausted',
      scope: scoped.scope,
      limit,
      value: scoped.budget[limit] ?? 0,
      resetsAt: Number(third),
      first: Number(fourth) === 1,
    };
  }

  /** Replaces a reservation's estimate by what the call used (`undefined` usd: the estimate's dollars stay). */
  async settle(reservation: Reservation, used: { usd: number | undefined; tokens: number }): Promise<void> {
    if (reservation.scopes.length === 0) return;
    const usd = used.usd === undefined ? 0 : Math.ceil(used.usd * NANO) - Math.ceil(reservation.estimate.usd * NANO);
    const tokens = Math.ceil(used.tokens) - Math.ceil(reservation.estimate.tokens);
    if (usd === 0 && tokens === 0) return;
    await this.#redis.eval(
      SETTLE,
      reservation.scopes.length,
      ...reservation.scopes.map(({ scope }) => this.#keys.budget(scope)),
      reservation.day,
      reservation.minute,
      usd,
      tokens,
      ...reservation.scopes.flatMap(({ budget }) => [
        budget.usdPerDay === undefined ? '0' : '1',
        budget.tokensPerMinute === undefined ? '0' : '1',
      ]),
    );
  }

  /** What a scope has spent in the current periods and whether each ran out (for `turbostream streams`). */
  async status(scope: string, now: number): Promise<BudgetStatus> {
    const { dayMs, minuteMs } = this.#periods;
    const day = Math.floor(now / dayMs);
    const minute = Math.floor(now / minuteMs);
    const fields = await this.#redis.hgetall(this.#keys.budget(scope));
    return {
      callsToday: Number(fields[`calls:${day}`] ?? 0),
      callsWhenExhausted: fields[`x:calls:${day}`] === undefined ? undefined : Number(fields[`x:calls:${day}`]),
      usdToday: Number(fields[`usd:${day}`] ?? 0) / NANO,
      tokensThisMinute: Number(fields[`tok:${minute}`] ?? 0),
      exhausted: [
        ...(fields[`x:usd:${day}`] !== undefined ? [{ limit: 'usdPerDay' as const, resetsAt: (day + 1) * dayMs }] : []),
        ...(fields[`x:tok:${minute}`] !== undefined
          ? [{ limit: 'tokensPerMinute' as const, resetsAt: (minute + 1) * minuteMs }]
          : []),
      ],
    };
  }
}

export interface BudgetStatus {
  /** Calls reserved today (UTC). */
  callsToday: number;
  /** Calls reserved today when a budget of the scope last ran out: never more after it, until it resets. */
  callsWhenExhausted: number | undefined;
  usdToday: number;
  tokensThisMinute: number;
  /** The limits that ran out in the current period, and when each resets. */
  exhausted: { limit: BudgetLimit; resetsAt: number }[];
}

/**
 * What is left of a budget in its current periods, by its status: dollars today (when it has `usdPerDay`) and tokens
 * this minute (when it has `tokensPerMinute`); 0 once the period's budget ran out, never below 0.
 */
export function budgetRemaining(
  budget: Budget,
  status: BudgetStatus,
): { usdPerDay?: number; tokensPerMinute?: number } {
  const spent = (limit: BudgetLimit) => status.exhausted.some((exhausted) => exhausted.limit === limit);
  return {
    ...(budget.usdPerDay === undefined
      ? {}
      : { usdPerDay: spent('usdPerDay') ? 0 : Math.max(0, budget.usdPerDay - status.usdToday) }),
    ...(budget.tokensPerMinute === undefined
      ? {}
      : {
          tokensPerMinute: spent('tokensPerMinute') ? 0 : Math.max(0, budget.tokensPerMinute - status.tokensThisMinute),
        }),
  };
}
