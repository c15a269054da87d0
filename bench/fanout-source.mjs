// The sources of bench/fanout.mjs, in a process of their own (forked by it): one loopback WebSocket server whose
// paths are the sources (`/s0000` … `/s0999`), each sending `--rate` numbered JSON messages a second (~200 bytes:
// `{"source":"s0042","seq":n,…}`) while the feed is on. A number is *sent* once its frame was handed to an open
// socket; numbers are drawn only then, so each source's numbers run 0 … sent - 1 with none skipped.
//
// Driven over IPC: {type: 'start', rampMs} starts the feed (source i after i / sources × rampMs, so that windows do
// not all close together), {type: 'stop'} silences it (the sockets stay open), {type: 'counts'} answers with what
// was sent; it announces {type: 'listening', port} first. It exits when its parent goes away.
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
const sent = new Array(sourceCount).fill(0);
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
  // As many exchanges do when asked for it (ws clients ask by default); off unless --deflate.
  perMessageDeflate: values.deflate,
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
      const text = message(index, sent[index]);
      sent[index] += 1;
      bytes += text.length;
      socket.send(text);
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
    process.send({ type: 'counts', sent, open, connections, disconnects, skipped, bytes });
  }
});
process.on('disconnect', () => process.exit(0));

http.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: http.address().port }));
