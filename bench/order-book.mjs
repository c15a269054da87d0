// Order-book updates for the benchmarks (bench/ingest-producer.mjs floods them, bench/json-check.mjs checks them).

/** Bodies are drawn from a ring of this many, made once, so making a message costs a producer little. */
const RING = 256;

/** `levels` price levels of one side of a book, as `["61012.37","0.01234"]` pairs. */
function levels(count, from, step, variant) {
  const list = [];
  for (let level = 0; level < count; level += 1) {
    const price = (from + step * level + (variant % 7) * 0.01).toFixed(2);
    const quantity = (0.001 + ((variant * 31 + level * 17) % 5000) / 1000).toFixed(5);
    list.push(`["${price}","${quantity}"]`);
  }
  return list.join(',');
}

/**
 * An order-book update (Binance's depthUpdate shape) of about `size` bytes: the number of price levels is chosen
 * so that the message comes out at that size. Messages differ by their sequence number, times and levels.
 * Returns `(seq) => text`.
 */
export function depthUpdates(size) {
  const body = (count, variant) =>
    `"e":"depthUpdate","s":"BTCUSDT","U":${157_000_000 + variant},"u":${157_000_000 + variant + count},` +
    `"b":[${levels(count, 61_000, -0.5, variant)}],"a":[${levels(count, 61_000.5, 0.5, variant)}]}`;
  const head = (seq) => `{"seq":${seq},"E":${1_764_102_000_000 + seq},`;
  let count = 1;
  while ((head(1_000_000) + body(count + 1, 0)).length <= size) count += 1;
  const bodies = Array.from({ length: RING }, (_, variant) => body(count, variant));
  return (seq) => head(seq) + bodies[seq % RING];
}
