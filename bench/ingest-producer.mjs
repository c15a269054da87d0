// A WebSocket source for bench/ingest.mjs, run as a child process so its memory
// is not counted in the ingest figures. Every client that connects receives
// market-like JSON messages as fast as the socket allows (respecting ws
// backpressure, so TCP paces the producer to its reader), in one of two modes:
//
//   --messages N             a burst: N trades of ~138 bytes, then it reports the time it took;
//   --seconds S --size B     a sustained flood: order-book updates of about B bytes for S seconds,
//                            then it reports how many it sent ({ type: 'sent', count }).
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { depthUpdates } from './order-book.mjs';

const { values } = parseArgs({
  options: { messages: { type: 'string' }, seconds: { type: 'string' }, size: { type: 'string' } },
});
const HIGH_WATER_BYTES = 1024 * 1024;

function trade(seq) {
  const price = (61_000 + (seq % 1000) * 0.37).toFixed(2);
  return (
    `{"e":"trade","E":${1_764_102_000_000 + seq},"s":"BTCUSDT","t":${seq},"p":"${price}","q":"0.00` +
    `${100 + (seq % 900)}","b":${88_000_000 + seq},"a":${99_000_000 + seq},"T":${1_764_102_000_000 + seq},"m":` +
    `${seq % 2 === 0}}`
  );
}

/**
 * Sends `next(seq)` for seq = 0, 1, … while `more(seq)`, waiting for ws's buffer to drain above its high water;
 * `onDone(count)` once the last message has reached the kernel.
 */
function flood(socket, next, more, onDone) {
  let seq = 0;
  const pump = () => {
    while (socket.readyState === socket.OPEN) {
      const message = next(seq);
      seq += 1;
      if (!more(seq)) {
        const count = seq;
        socket.send(message, () => onDone(count));
        return;
      }
      if (socket.bufferedAmount >= HIGH_WATER_BYTES) {
        // Resume once this message has reached the kernel, i.e. the buffer drained.
        socket.send(message, (error) => {
          if (!error) pump();
        });
        return;
      }
      socket.send(message);
    }
  };
  pump();
}

/** The burst: `messages` trades, then the time it took once the last one reached the kernel. */
function burst(socket, messages) {
  const startedAt = performance.now();
  flood(
    socket,
    trade,
    (seq) => seq < messages,
    (count) => process.send?.({ type: 'sent', count, ms: performance.now() - startedAt }),
  );
}

/** The sustained flood: as many messages as the reader takes for `seconds`, then their count. */
function sustained(socket, seconds, next) {
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1000;
  // The clock is read every 256 messages: often enough to stop within a millisecond, cheap enough not to pace.
  let open = true;
  const more = (seq) => {
    if (open && (seq & 255) === 0) open = performance.now() < endAt;
    return open;
  };
  flood(socket, next, more, (count) => process.send?.({ type: 'sent', count, ms: performance.now() - startedAt }));
}

const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
const size = Number(values.size ?? 250);
const messages = Number(values.messages ?? 200_000);
const next = seconds === undefined ? trade : depthUpdates(size);
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () =>
  process.send?.({ type: 'listening', port: server.address().port, bytes: next(123_456).length }),
);
server.on('connection', (socket) =>
  seconds === undefined ? burst(socket, messages) : sustained(socket, seconds, next),
);
process.on('disconnect', () => server.close(() => process.exit(0)));
