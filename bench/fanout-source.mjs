// The sources of bench/fanout.mjs, in a process of their own (forked by it): one loopback WebSocket server whose
// paths are the sources (`/s0000` … `/s0999`), each sending `--rate` numbered JSON messages a second (~200 bytes:
// `{"source":"s0042","seq":n,…}`) while the feed is on. Numbers are drawn only for an open socket, and a number is
// *sent* once ws reports its frame written to the socket (a frame ws drops because the socket closed first is not).
//
// Driven over IPC: {type: 'start', rampMs} starts the feed (source i after i / sources × rampMs, so that windows do
// not all close together), {type: 'stop'} silences it (the sockets stay open), {type: 'counts'} answers with what
// was sent, {type: 'written'} with the numbers written, per source; it announces {type: 'listening', port} first.
// It exits when its parent goes away.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { seededRandom } from './support.mjs';

const { values } = parseArgs({
  options: {
    sources: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '10' },
    deflate: { type: 'boolean', default: false },
  },
});
const sourceCount = Number(values.sources);
const periodMs = 1000 / Number(values.rate);

/** The stream id (and path) of source `index`. */
const sourceName = (index) => `s${String(index).padStart(4, '0')}`;

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD', 'ADA-USD', 'DOGE-USD', 'AVAX-USD', 'LINK-USD'];
const sockets = new Array(sourceCount).fill(undefined);
/** Numbers drawn (handed to ws), per source. */
const drawn = new Array(sourceCount).fill(0);
/** Frames ws reported written to the socket, per source. */
const sent = new Array(sourceCount).fill(0);
/** Per source and number: 1 once ws reported its frame written, 2 if ws dropped it (the socket closed first). */
const outcomes = Array.from({ length: sourceCount }, () => new Uint8Array(256));
let dropped = 0;
const nextAt = new Array(sourceCount).fill(Number.POSITIVE_INFINITY);
const prices = Array.from({ length: sourceCount }, (_, index) => 100 + (index % 97) * 37.5);
const random = seededRandom(14);
let connections = 0;
let disconnects = 0;
/** Sends due while the source had no open socket (no number drawn). */
let skipped = 0;
let sending = false;
let bytes = 0;

/** One market-like trade of source `index`, about 200 bytes of JSON. */
function message(index, seq) {
  const price = prices[index] * (1 + (random() - 0.5) * 0.002);
  prices[index] = price;
  const spread = price * 0.0001;
  return JSON.stringify({
    source: sourceName(index),
    seq,
    ts: Date.now(),
    type: 'trade',
    symbol: SYMBOLS[index % SYMBOLS.length],
    price: price.toFixed(2),
    size: (random() * 2).toFixed(4),
    side: random() < 0.5 ? 'buy' : 'sell',
    bid: (price - spread).toFixed(2),
    ask: (price + spread).toFixed(2),
    tradeId: `${sourceName(index)}-${String(seq).padStart(8, '0')}`,
    level: 'info',
  });
}

const http = createServer((_request, response) => response.writeHead(404).end());
const server = new WebSocketServer({
  server: http,
  clientTracking: false,
  // As many exchanges do when asked for it (ws clients ask by default); off unless --deflate. Tuned so that the
  // source keeps its rate: the fastest level, and more compressions at once than ws's default 10.
  perMessageDeflate: values.deflate ? { zlibDeflateOptions: { level: 1 }, concurrencyLimit: 100 } : false,
});
server.on('connection', (socket, request) => {
  const match = /^\/s(\d{4})$/.exec(request.url ?? '');
  const index = match ? Number(match[1]) : -1;
  if (index < 0 || index >= sourceCount) {
    socket.close(1008, 'no such source');
    return;
  }
  connections += 1;
  sockets[index] = socket;
  socket.on('error', () => {});
  socket.once('close', () => {
    disconnects += 1;
    if (sockets[index] === socket) sockets[index] = undefined;
  });
});

function outcome(index, seq, error) {
  let seen = outcomes[index];
  if (seq >= seen.length) {
    const grown = new Uint8Array(Math.max(seq + 1, seen.length * 2));
    grown.set(seen);
    outcomes[index] = grown;
    seen = grown;
  }
  seen[seq] = error ? 2 : 1;
  if (error) dropped += 1;
  else sent[index] += 1;
}

/** The numbers written, per source, as [from, to) ranges (one range unless frames were dropped). */
function writtenRanges() {
  return outcomes.map((seen, index) => {
    const ranges = [];
    for (let seq = 0; seq < drawn[index]; seq += 1) {
      if (seen[seq] !== 1) continue;
      const last = ranges.at(-1);
      if (last && last[1] === seq) last[1] = seq + 1;
      else ranges.push([seq, seq + 1]);
    }
    return ranges;
  });
}

/** Sends every message that is due; a clock of its own, so a late tick catches up instead of lowering the rate. */
function tick() {
  if (!sending) return;
  const now = performance.now();
  for (let index = 0; index < sourceCount; index += 1) {
    while (nextAt[index] <= now) {
      nextAt[index] += periodMs;
      const socket = sockets[index];
      if (socket?.readyState !== 1) {
        skipped += 1;
        continue;
      }
      const seq = drawn[index];
      drawn[index] += 1;
      const text = message(index, seq);
      bytes += text.length;
      socket.send(text, (error) => outcome(index, seq, error));
    }
  }
  setTimeout(tick, 5);
}

process.on('message', (command) => {
  if (command.type === 'start') {
    const startAt = performance.now();
    for (let index = 0; index < sourceCount; index += 1)
      nextAt[index] = startAt + (index / sourceCount) * command.rampMs;
    sending = true;
    tick();
  } else if (command.type === 'stop') {
    sending = false;
    nextAt.fill(Number.POSITIVE_INFINITY);
  } else if (command.type === 'counts') {
    const open = sockets.filter((socket) => socket?.readyState === 1).length;
    const drawnTotal = drawn.reduce((sum, count) => sum + count, 0);
    const sentTotal = sent.reduce((sum, count) => sum + count, 0);
    process.send({
      type: 'counts',
      sent,
      open,
      connections,
      disconnects,
      skipped,
      dropped,
      queued: drawnTotal - sentTotal - dropped,
      bytes,
    });
  } else if (command.type === 'written') {
    process.send({ type: 'written', ranges: writtenRanges() });
  }
});
process.on('disconnect', () => process.exit(0));

http.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: http.address().port }));
