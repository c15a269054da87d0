// Tokens per window: the prompt's window rendering before the compact tables (one `<entry id> <JSON>` line per
// entry, bench/tokens-line-format.mjs) against today's (`buildPrompt`), counted with the o200k tokenizer
// (gpt-tokenizer), on windows of deterministic feeds generated from a seed: the demo's trades, structured service
// logs, nested device telemetry, and plain text lines. Prints figures; asserts nothing.
// Run with `npm run bench:tokens` (builds first), or after a build
// `node bench/tokens.mjs --sizes 50,200 --seed 42 --windows 5`.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { buildPrompt, buildSystemPrompt } from '@turbostream/providers';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { seededRandom } from './support.mjs';
import { LINE_FORMAT_SYSTEM_PROMPT, renderLineFormat } from './tokens-line-format.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '50,200' },
    seed: { type: 'string', default: '42' },
    windows: { type: 'string', default: '5' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const seed = Number(values.seed);
/** Windows per shape and size, one after the other in the same feed; figures are their sums. */
const windowsPerCase = Number(values.windows);
const START = Date.UTC(2025, 10, 30, 12, 0, 0);
const INSTRUCTIONS = 'Alert on anything unusual.';

function generator(seedValue) {
  const next = seededRandom(seedValue);
  const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
  const pick = (list) => list[Math.floor(next() * list.length)];
  const hex = (length) => Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join('');
  return { next, gaussian, pick, hex };
}

/** The demo feed's messages (apps/cli/src/demo/demo-feed.ts): trades at 20/s, an error status now and then. */
function demoTrades(g) {
  let mid = 61_200;
  let tradeId = 1;
  let tick = 0;
  return (at) => {
    tick += 1;
    if (tick % 97 === 0)
      return JSON.stringify({ type: 'status', level: 'error', message: 'matching engine latency above 2 s', ts: at });
    mid *= 1 + g.gaussian() * 0.00002;
    let price = mid * (1 + g.gaussian() * 0.0002);
    let qty = Math.exp(-3 + g.gaussian() * 0.2);
    if (tick % 61 === 0) price *= 1.025;
    if (tick % 83 === 0) qty *= 40;
    return JSON.stringify({
      type: 'trade',
      symbol: 'BTCUSDT',
      tradeId: tradeId++,
      price: price.toFixed(2),
      qty: qty.toFixed(5),
      side: g.next() < 0.5 ? 'buy' : 'sell',
      ts: at - Math.floor(g.next() * 4),
    });
  };
}

const SERVICES = ['checkout', 'payments', 'catalog', 'auth', 'search'];
const ROUTES = ['/api/cart', '/api/orders', '/api/items', '/api/login', '/api/search'];
const MESSAGES = ['request completed', 'cache miss', 'upstream call', 'db query'];

/** JSON service logs: timestamp, level, service, message, HTTP details, latency, trace ids; errors carry one. */
function serviceLogs(g) {
  return (at) => {
    const roll = g.next();
    const level = roll < 0.04 ? 'error' : roll < 0.12 ? 'warn' : 'info';
    const service = g.pick(SERVICES);
    const status = level === 'error' ? g.pick([500, 502, 503]) : level === 'warn' ? 429 : 200;
    const log = {
      ts: new Date(at - Math.floor(g.next() * 5)).toISOString(),
      level,
      service,
      msg: level === 'error' ? 'request failed' : level === 'warn' ? 'rate limited by upstream' : g.pick(MESSAGES),
      http: {
        method: g.pick(['GET', 'GET', 'POST']),
        path: `${g.pick(ROUTES)}/${Math.floor(g.next() * 9000)}`,
        status,
      },
      latency_ms: Number((Math.exp(3 + g.gaussian() * 0.5) * (level === 'error' ? 20 : 1)).toFixed(1)),
      trace_id: g.hex(32),
      span_id: g.hex(16),
      user_id: `u_${10_000 + Math.floor(g.next() * 90_000)}`,
      host: `${service}-${g.pick(['7d9f', 'a2c1', '5be0'])}`,
    };
    if (level === 'error')
      log.error = { type: 'UpstreamTimeout', message: `no answer from ${g.pick(SERVICES)} in 2000 ms` };
    return JSON.stringify(log);
  };
}

/** Device telemetry: device → sensors → readings, nested objects; some devices have no vibration sensor. */
function telemetry(g) {
  const devices = Array.from({ length: 12 }, (_, index) => ({
    id: `dev-${String(index + 1).padStart(3, '0')}`,
    model: index % 3 === 0 ? 'TX-300' : 'TX-200',
    fw: index % 4 === 0 ? '2.4.1' : '2.5.0',
    site: `plant-${1 + (index % 3)}`,
    vibration: index % 3 !== 2,
    base: 20 + index,
  }));
  let seq = 0;
  return (at) => {
    const device = devices[seq % devices.length];
    seq += 1;
    const sensors = {
      temp: { value: Number((device.base + g.gaussian() * 0.4).toFixed(2)), unit: 'C', status: 'ok' },
      humidity: { value: Number((45 + g.gaussian() * 3).toFixed(1)), unit: '%', status: 'ok' },
    };
    if (device.vibration)
      sensors.vibration = {
        rms: Number((0.12 + Math.abs(g.gaussian()) * 0.02).toFixed(3)),
        peak: Number((0.4 + Math.abs(g.gaussian()) * 0.1).toFixed(3)),
        unit: 'g',
        status: 'ok',
      };
    if (seq % 53 === 0) sensors.temp = { ...sensors.temp, value: sensors.temp.value + 15, status: 'alarm' };
    return JSON.stringify({
      device: { id: device.id, model: device.model, fw: device.fw, site: device.site },
      seq,
      ts: at - 20 - Math.floor(g.next() * 30),
      sensors,
      battery: { pct: Math.max(5, 100 - Math.floor(seq / 40)), charging: false },
    });
  };
}

/**
 * An exchange's combined stream (Binance-like short keys): trades, order book updates with arrays of levels, and
 * 1-second klines, interleaved: several shapes in one window.
 */
function exchangeMix(g) {
  let mid = 61_200;
  let tradeId = 4_812_000_000;
  let updateId = 71_000_000_000;
  return (at) => {
    mid *= 1 + g.gaussian() * 0.00002;
    const roll = g.next();
    const price = (offset) => (mid + offset).toFixed(2);
    if (roll < 0.7) {
      tradeId += 1;
      return JSON.stringify({
        e: 'trade',
        E: at,
        s: 'BTCUSDT',
        t: tradeId,
        p: price(g.gaussian() * 2),
        q: Math.exp(-4 + g.gaussian()).toFixed(5),
        T: at - 1,
        m: g.next() < 0.5,
      });
    }
    if (roll < 0.95) {
      const first = updateId + 1;
      updateId += 1 + Math.floor(g.next() * 20);
      const levels = (side) =>
        Array.from({ length: 1 + Math.floor(g.next() * 3) }, (_, index) => [
          price(side * (0.1 + index * 0.1)),
          (g.next() * 2).toFixed(4),
        ]);
      return JSON.stringify({
        e: 'depthUpdate',
        E: at,
        s: 'BTCUSDT',
        U: first,
        u: updateId,
        b: levels(-1),
        a: levels(1),
      });
    }
    const open = mid + g.gaussian() * 3;
    return JSON.stringify({
      e: 'kline',
      E: at,
      s: 'BTCUSDT',
      k: {
        t: at - 1000,
        T: at - 1,
        i: '1s',
        o: open.toFixed(2),
        c: mid.toFixed(2),
        h: (Math.max(open, mid) + 1).toFixed(2),
        l: (Math.min(open, mid) - 1).toFixed(2),
        v: (g.next() * 3).toFixed(5),
        n: Math.floor(g.next() * 40),
        x: true,
      },
    });
  };
}

/** Plain text log lines (a `format: text` stream): nothing to tabulate, shown for comparison. */
function textLines(g) {
  return () =>
    `${g.pick(['GET', 'POST'])} ${g.pick(ROUTES)}/${Math.floor(g.next() * 9000)} ` +
    `${g.pick([200, 200, 200, 404, 500])} ${Math.floor(Math.exp(3 + g.gaussian() * 0.5))}ms ua="Mozilla/5.0"`;
}

const SHAPES = [
  { name: 'demo trades', make: demoTrades, perSecond: 20 },
  { name: 'service logs', make: serviceLogs, perSecond: 50 },
  { name: 'nested telemetry', make: telemetry, perSecond: 10 },
  { name: 'exchange mix (3 shapes)', make: exchangeMix, perSecond: 40 },
  { name: 'text lines (no tables)', make: textLines, perSecond: 50 },
];

/** `count` consecutive windows of `size` messages of one shape, entry times from the feed's rate with jitter. */
function windowsOf(shape, size, count) {
  const g = generator(seed);
  const message = shape.make(g);
  let at = START;
  return Array.from({ length: count }, (_, index) => {
    const messages = Array.from({ length: size }, () => {
      at += Math.max(1, Math.round((1000 / shape.perSecond) * (0.5 + g.next())));
      return { id: `${at}-0`, data: message(at), receivedAt: at };
    });
    const first = messages[0].id;
    const last = messages.at(-1).id;
    return {
      streamId: shape.name.split(' ')[0],
      windowId: first,
      firstEntryId: first,
      lastEntryId: last,
      closedBy: 'messages',
      bytes: messages.reduce((sum, item) => sum + Buffer.byteLength(item.data), 0),
      from: Number(first.split('-')[0]),
      to: Number(last.split('-')[0]),
      messages,
      gaps: [],
      index,
    };
  });
}

const systemOld = countTokens(
  `${LINE_FORMAT_SYSTEM_PROMPT}\n\nThe user's instructions:\n<user_instructions>\n${INSTRUCTIONS}\n</user_instructions>`,
);
const systemNew = countTokens(buildSystemPrompt(INSTRUCTIONS));
const percent = (before, after) => `${(((before - after) / before) * 100).toFixed(1)} %`;
const thousands = (value) => value.toLocaleString('en-US');

console.log(
  `bench:tokens  o200k (gpt-tokenizer), seed ${seed}, ${windowsPerCase} windows per row (figures summed); ` +
    `Node ${process.version}, ${cpus().length} cores`,
);
console.log(
  `system prompt (instructions "${INSTRUCTIONS}"): ${systemOld} → ${systemNew} tokens, the same for every window\n`,
);
const rows = [];
for (const shape of SHAPES) {
  for (const size of sizes) {
    let oldTokens = 0;
    let newTokens = 0;
    let oldBytes = 0;
    let newBytes = 0;
    let renderMs = 0;
    for (const window of windowsOf(shape, size, windowsPerCase)) {
      const before = renderLineFormat(window);
      const started = performance.now();
      const prompt = buildPrompt(INSTRUCTIONS, window);
      renderMs += performance.now() - started;
      if (prompt.refs.size !== window.messages.length) throw new Error(`${shape.name}: not every message shown`);
      oldTokens += countTokens(before);
      newTokens += countTokens(prompt.user);
      oldBytes += Buffer.byteLength(before);
      newBytes += Buffer.byteLength(prompt.user);
    }
    const calls = windowsPerCase;
    rows.push({
      shape: shape.name,
      size,
      oldTokens,
      newTokens,
      reduction: percent(oldTokens, newTokens),
      perMessage: `${(oldTokens / (size * calls)).toFixed(1)} → ${(newTokens / (size * calls)).toFixed(1)}`,
      withSystem: percent(oldTokens + systemOld * calls, newTokens + systemNew * calls),
      bytes: `${thousands(oldBytes)} → ${thousands(newBytes)}`,
      renderMs: (renderMs / calls).toFixed(2),
    });
  }
}
const header = [
  'shape',
  'messages/window',
  'tokens before',
  'tokens after',
  'fewer tokens',
  'tokens/message',
  'fewer incl. system prompt',
  'bytes',
  'render ms/window',
];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const row of rows)
  console.log(
    `| ${row.shape} | ${row.size} | ${thousands(row.oldTokens)} | ${thousands(row.newTokens)} | ${row.reduction} | ` +
      `${row.perMessage} | ${row.withSystem} | ${row.bytes} | ${row.renderMs} |`,
  );
