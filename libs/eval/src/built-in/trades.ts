import type { CorpusFeed } from '../corpus.js';
import { feedSeed, seededRandom } from '../random.js';
import { CORPUS_START, FeedBuilder } from './feed-builder.js';

const NAME = 'trades';
const COUNT = 400;
/** A trade 2.5 % above the market (message 63, window 2). */
const SPIKE = 63;
/** Price falls 4.8 % over messages 193–199 and recovers by 208: across the boundary between windows 4 and 5. */
const CRASH_FROM = 193;
const CRASH_DROP = [0.6, 1.4, 2.3, 3.2, 4.0, 4.6, 4.8, 4.5, 4.1, 3.5, 2.8, 2.1, 1.5, 1.0, 0.6, 0.35];
/** Messages 311–328 repeat message 310's price, size and side, one a second (window 7). */
const STALE_FROM = 311;
const STALE_TO = 328;
/** 45 s without a trade between messages 365 and 366 (window 8). */
const GAP_AFTER = 365;
const GAP_MS = 45_000;

export const TRADES_INSTRUCTIONS =
  'BTCUSDT trades from one exchange, about four a second; prices move by a few dollars from trade to trade. ' +
  'Alert on: a trade priced more than 1 % away from the trades around it (price spike, warning); ' +
  'a fast fall of several percent followed by a recovery (flash crash, critical); ' +
  'the same price and size repeated over many trades while time passes (stale price, warning); ' +
  'more than 10 seconds without any trade (feed gap, warning). Ordinary ticks and size changes are normal.';

/** Market trades shaped like the demo feed's (apps/cli/src/demo/demo-feed.ts), with four incidents. */
export function tradesFeed(seed: number): CorpusFeed {
  const random = seededRandom(feedSeed(seed, NAME));
  const feed = new FeedBuilder(NAME);
  let mid = 61_200 + random.gaussian() * 150;
  let tradeId = 4_812_000 + random.int(0, 99_999);
  let at = CORPUS_START;
  let frozen: { price: string; qty: string; side: string } | undefined;

  for (let n = 1; n <= COUNT; n += 1) {
    // Every draw happens for every message, so an incident never shifts the noise of the messages after it.
    const step = random.int(180, 320);
    const staleStep = random.int(980, 1_020);
    const tick = random.gaussian();
    const spread = random.gaussian();
    const size = random.gaussian();
    const side = random.next() < 0.5 ? 'buy' : 'sell';
    const lag = random.int(0, 3);
    const stale = n >= STALE_FROM && n <= STALE_TO;
    if (n > 1) at += (stale ? staleStep : step) + (n === GAP_AFTER + 1 ? GAP_MS : 0);

    mid *= 1 + tick * 0.00002;
    let price = mid * (1 + spread * 0.0002);
    let qty = Math.exp(-3 + size * 0.2);
    let incident: string | undefined;
    if (n === SPIKE) {
      price *= 1.025;
      incident = 'trades-price-spike';
    }
    const drop = CRASH_DROP[n - CRASH_FROM];
    if (drop !== undefined) {
      price *= 1 - drop / 100;
      qty *= 4 + drop * 2;
      incident = 'trades-flash-crash';
    }
    if (n === GAP_AFTER || n === GAP_AFTER + 1) incident = 'trades-feed-gap';
    let trade = { price: price.toFixed(2), qty: qty.toFixed(5), side };
    if (n === STALE_FROM - 1) frozen = trade;
    if (stale && frozen !== undefined) {
      trade = frozen;
      incident = 'trades-stale-price';
    }
    feed.add(at, { type: 'trade', symbol: 'BTCUSDT', tradeId: tradeId++, ...trade, ts: at - lag }, incident);
  }

  return feed.build(
    {
      description: 'BTCUSDT trades (the demo feed’s shape): a price spike, a flash crash, a stale price, a feed gap.',
      format: 'json',
      instructions: TRADES_INSTRUCTIONS,
      window: { maxMessages: 50, maxBytes: 262_144, maxSeconds: 120 },
    },
    [
      {
        id: 'trades-price-spike',
        kind: 'price-spike',
        description: `One trade 2.5 % above the market (message ${SPIKE}).`,
        minSeverity: 'warning',
      },
      {
        id: 'trades-flash-crash',
        kind: 'flash-crash',
        description:
          `The price falls 4.8 % over seven trades and recovers over the next nine, sizes 5 to 14 times the usual ` +
          `(messages ${CRASH_FROM}–${CRASH_FROM + CRASH_DROP.length - 1}; windows of 50 cut it after message 200).`,
        minSeverity: 'critical',
      },
      {
        id: 'trades-stale-price',
        kind: 'stale-price',
        description:
          `Messages ${STALE_FROM}–${STALE_TO} repeat message ${STALE_FROM - 1}'s price, size and side, one a ` +
          'second, for 18 seconds.',
        minSeverity: 'warning',
      },
      {
        id: 'trades-feed-gap',
        kind: 'feed-gap',
        description: `45 seconds without a trade between messages ${GAP_AFTER} and ${GAP_AFTER + 1}.`,
        minSeverity: 'warning',
      },
    ],
  );
}
