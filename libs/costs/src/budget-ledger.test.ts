import { createKeyLayout } from '@turbostream/redis';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { BudgetLedger, budgetRemaining, type Refusal, type Reservation } from './budget-ledger.js';

const DAY_MS = 86_400_000;

describe('BudgetLedger', () => {
  redisTest(
    'reserves until a dollar budget would be exceeded, then refuses for the rest of the day',
    async ({ redis, namespace }) => {
      const ledger = new BudgetLedger({ redis, keys: createKeyLayout(namespace) });
      const scopes = [{ scope: 'stream:a', budget: { usdPerDay: 1 } }];
      const results: (Reservation | Refusal)[] = [];
      for (let i = 0; i < 5; i += 1) results.push(await ledger.reserve(scopes, { usd: 0.3, tokens: 100 }));
      expect(results.map((result) => result.kind)).toEqual([
        'reserved',
        'reserved',
        'reserved',
        'exhausted',
        'exhausted',
      ]);
      const [first, second] = results.slice(3) as Refusal[];
      const nextMidnight = (Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS;
      expect(first).toEqual({
        kind: 'exhausted',
        scope: 'stream:a',
        limit: 'usdPerDay',
        value: 1,
        resetsAt: nextMidnight,
        first: true,
      });
      expect(second?.first).toBe(false);
      // A smaller call that would still fit is refused too: once spent, the budget stays spent until it resets.
      expect((await ledger.reserve(scopes, { usd: 0.01, tokens: 1 })).kind).toBe('exhausted');
      const status = await ledger.status('stream:a', Date.now());
      expect(status.usdToday).toBeCloseTo(0.9, 9);
      expect(status).toMatchObject({ callsToday: 3, callsWhenExhausted: 3 });
      expect(status.exhausted).toEqual([{ limit: 'usdPerDay', resetsAt: nextMidnight }]);
    },
  );

  redisTest(
    'never reserves more than the budget, whatever the number of concurrent callers',
    async ({ server, namespace }) => {
      const clients = Array.from({ length: 8 }, () => server.client());
      const [firstClient] = clients;
      if (!firstClient) throw new Error('no client');
      try {
        const keys = createKeyLayout(namespace);
        const scopes = [
          { scope: 'stream:a', budget: { usdPerDay: 10 } },
          { scope: 'provider:openai', budget: { tokensPerMinute: 1_000_000 } },
        ];
        const results = await Promise.all(
          Array.from({ length: 80 }, (_, i) =>
            new BudgetLedger({ redis: clients[i % clients.length] ?? firstClient, keys }).reserve(scopes, {
              usd: 0.5,
              tokens: 10,
            }),
          ),
        );
        expect(results.filter((result) => result.kind === 'reserved')).toHaveLength(20);
        expect(results.filter((result) => result.kind === 'exhausted' && result.first)).toHaveLength(1);
        const ledger = new BudgetLedger({ redis: firstClient, keys });
        expect((await ledger.status('stream:a', Date.now())).usdToday).toBeCloseTo(10, 9);
      } finally {
        for (const client of clients) client.disconnect();
      }
    },
  );

  redisTest('settles a reservation with what the call used, giving back the rest', async ({ redis, namespace }) => {
    const ledger = new BudgetLedger({ redis, keys: createKeyLayout(namespace) });
    const scopes = [{ scope: 'provider:anthropic', budget: { usdPerDay: 5, tokensPerMinute: 10_000 } }];
    const reservation = await ledger.reserve(scopes, { usd: 0.2, tokens: 2_000 });
    if (reservation.kind !== 'reserved') throw new Error(`not reserved: ${JSON.stringify(reservation)}`);
    await ledger.settle(reservation, { usd: 0.05, tokens: 700 });
    const status = await ledger.status('provider:anthropic', Date.now());
    expect(status.usdToday).toBeCloseTo(0.05, 9);
    // The minute may have rolled over between the two calls: then the tokens count in the minute they were reserved.
    expect([0, 700]).toContain(status.tokensThisMinute);
  });

  redisTest('keeps the estimated dollars of a call whose cost is unknown', async ({ redis, namespace }) => {
    const ledger = new BudgetLedger({ redis, keys: createKeyLayout(namespace) });
    const reservation = await ledger.reserve([{ scope: 'stream:a', budget: { usdPerDay: 5 } }], {
      usd: 0.2,
      tokens: 2_000,
    });
    if (reservation.kind !== 'reserved') throw new Error('not reserved');
    await ledger.settle(reservation, { usd: undefined, tokens: 10 });
    expect((await ledger.status('stream:a', Date.now())).usdToday).toBeCloseTo(0.2, 9);
  });

  redisTest(
    'refuses a call that alone exceeds a budget as too large, without spending the budget',
    async ({ redis, namespace }) => {
      const ledger = new BudgetLedger({ redis, keys: createKeyLayout(namespace) });
      const scopes = [{ scope: 'stream:a', budget: { tokensPerMinute: 1_000 } }];
      expect(await ledger.reserve(scopes, { usd: 0, tokens: 1_500 })).toMatchObject({
        kind: 'too-large',
        limit: 'tokensPerMinute',
        value: 1_000,
      });
      expect((await ledger.reserve(scopes, { usd: 0, tokens: 900 })).kind).toBe('reserved');
    },
  );

  redisTest('opens again when the period rolls over', async ({ redis, namespace }) => {
    // A 300 ms "minute": the real one would make the test wait up to a minute.
    const ledger = new BudgetLedger({
      redis,
      keys: createKeyLayout(namespace),
      periods: { dayMs: DAY_MS, minuteMs: 300 },
    });
    const scopes = [{ scope: 'stream:a', budget: { tokensPerMinute: 100 } }];
    let refusal: Reservation | Refusal;
    do refusal = await ledger.reserve(scopes, { usd: 0, tokens: 60 });
    while (refusal.kind === 'reserved');
    if (refusal.kind !== 'exhausted') throw new Error(`unexpected ${refusal.kind}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, refusal.resetsAt - Date.now()) + 50));
    expect((await ledger.reserve(scopes, { usd: 0, tokens: 60 })).kind).toBe('reserved');
  });

  redisTest('asks Redis nothing for budgets without limits', async ({ redis, namespace }) => {
    const keys = createKeyLayout(namespace);
    const ledger = new BudgetLedger({ redis, keys });
    expect(await ledger.reserve([{ scope: 'stream:a', budget: {} }], { usd: 1e9, tokens: 1e9 })).toMatchObject({
      kind: 'reserved',
      scopes: [],
    });
    expect(await redis.exists(keys.budget('stream:a'))).toBe(0);
  });

  redisTest('says what is left of each limit, 0 once it ran out', async ({ redis, namespace }) => {
    const ledger = new BudgetLedger({ redis, keys: createKeyLayout(namespace) });
    const budget = { usdPerDay: 1, tokensPerMinute: 1_000 };
    const scopes = [{ scope: 'stream:a', budget }];
    expect(budgetRemaining(budget, await ledger.status('stream:a', Date.now()))).toEqual({
      usdPerDay: 1,
      tokensPerMinute: 1_000,
    });
    await ledger.reserve(scopes, { usd: 0.25, tokens: 300 });
    const left = budgetRemaining(budget, await ledger.status('stream:a', Date.now()));
    expect(left.usdPerDay).toBeCloseTo(0.75, 9);
    expect(left.tokensPerMinute).toBe(700);
    expect((await ledger.reserve(scopes, { usd: 0.9, tokens: 1 })).kind).toBe('exhausted');
    expect(budgetRemaining(budget, await ledger.status('stream:a', Date.now())).usdPerDay).toBe(0);
    expect(budgetRemaining({ tokensPerMinute: 5 }, await ledger.status('stream:a', Date.now()))).toEqual({
      tokensPerMinute: 0,
    });
  });
});
