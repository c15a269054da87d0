import { z } from 'zod';

/**
 * A spending limit: dollars per UTC day and tokens (input and output) per minute; an unset field is no limit. Set per
 * stream in the streams file (`budget:`) and per provider in the environment (`<PROVIDER>_BUDGET_USD_PER_DAY`,
 * `<PROVIDER>_BUDGET_TOKENS_PER_MINUTE`), and shared by every analyzer through Redis.
 */
export const Budget = z.strictObject({
  usdPerDay: z
    .number({ error: 'expected a number of US dollars' })
    .positive({ error: 'expected a number of US dollars above 0' })
    .max(1_000_000, { error: 'expected at most 1000000 US dollars' })
    .optional(),
  tokensPerMinute: z
    .number({ error: 'expected a whole number of tokens' })
    .int({ error: 'expected a whole number of tokens' })
    .positive({ error: 'expected a number of tokens above 0' })
    .max(1_000_000_000, { error: 'expected at most 1000000000 tokens' })
    .optional(),
});
export type Budget = z.infer<typeof Budget>;

/** What a budget limits: a day's dollars or a minute's tokens. */
export type BudgetLimit = keyof Budget;
