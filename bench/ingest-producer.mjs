// A WebSocket source for bench/ingest.mjs, run as a child process so its memory
// is not counted in the ingest figures. Every client that connects receives
// `messages` small market-like JSON messages, as fast as the socket allows
// (respecting ws backpressure), then the producer reports the time it took.
import { WebSocketServer } from 'ws';

const messages = Number(process.argv[2] ?? 200_000);
const HIGH_WATER_BYTES = 1024 * 1024;

function trade(seq) {
  const price = (61_000 + (seq % 1000) * 0.37).toFixed(2);
  return (
    `{"e":"trade","E":${1_764_102_000_000 + seq},"s":"BTCUSDT","t":${seq},"p":"${price}","q":"0.00` +
    `${100 + (seq % 900)}","b":${88_000_000 + seq},"a":${99_000_000 + seq},"T":${1_764_102_000_000 + seq},"m":` +
    `${seq % 2 === 0}}`
  );
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () =>
  process.send?.({ type: 'listening', port: server.address().port, bytes: trade(123_456).length }),
);
server.on('connection', (socket) => {
  let sent = 0;
  const startedAt = performance.now();
  const pump = () => {
    while (sent < messages) {
      const message = trade(sent);
      sent += 1;
      if (sent === messages) {
        socket.send(message, () => process.send?.({ type: 'sent', ms: performance.now() - startedAt }));
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
});
process.on('disconnect', () => server.close(() => process.exit(0)));
