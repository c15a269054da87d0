/** The first chunk of a run: small, so that a quiet source's run of one message costs little. */
const FIRST_CHUNK_BYTES = 4 * 1024;
/** Chunks double up to this; a larger message gets a chunk of its own size. */
const MAX_CHUNK_BYTES = 64 * 1024;

/**
 * Messages waiting to be written, copied back to back into byte chunks, with their positions and receive times in
 * one typed array: no object per message.
 *
 * Under a flood a message waits tens of milliseconds (the buffer is full, and the batch before it is in flight),
 * longer than V8 keeps an object in its young generation. Held as a Buffer view and an entry object each, every
 * waiting message was promoted to the old generation, about 150 bytes of garbage a message that grew the heap by
 * ~25 MB between full collections and cost a full collection every second (BENCHMARKS.md, "Sustained floods").
 * Here a run of up to a batch of messages is a handful of objects. The views the batch's command needs are made when
 * it is sent and live only while it is in flight (V8 still promotes some of those: BENCHMARKS.md).
 *
 * A run is appended to until it is {@link seal}ed (taken into a batch), holds `capacity` messages, or would pass
 * `maxBytes`; what it holds never changes after that, so a batch sent again is sent unchanged.
 */
export class MessageRun {
  readonly kind = 'messages';
  readonly #capacity: number;
  readonly #maxBytes: number;
  readonly #chunks: Buffer[] = [];
  #chunkUsed = 0;
  /**
   * Four numbers a message: its chunk's index, its start and end in that chunk, its receive time. A typed array, whose
   * elements are outside V8's heap: only its small header is there, however long the run.
   */
  #slots = new Float64Array(4 * 16);
  #count = 0;
  #bytes = 0;
  #sealed = false;

  constructor(capacity: number, maxBytes: number) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
  }

  /** Messages in the run. */
  get count(): number {
    return this.#count;
  }

  /** Their bytes, without the chunks' unused ends. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Takes no more messages: the run is part of a batch now. */
  seal(): void {
    this.#sealed = true;
  }

  /**
   * Copies a message in (a string as its UTF-8 bytes). False, leaving the run as it was, when the run is sealed or
   * full, or the message would take it past its bytes (a run's first message is always taken).
   */
  tryAppend(data: Buffer | string, receivedAt: number): boolean {
    if (this.#sealed || this.count >= this.#capacity) return false;
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (this.count > 0 && this.#bytes + length > this.#maxBytes) return false;
    let chunk = this.#chunks.at(-1);
    if (chunk === undefined || chunk.length - this.#chunkUsed < length) {
      const next = chunk === undefined ? FIRST_CHUNK_BYTES : Math.min(MAX_CHUNK_BYTES, chunk.length * 2);
      chunk = Buffer.allocUnsafeSlow(Math.max(length, next));
      this.#chunks.push(chunk);
      this.#chunkUsed = 0;
    }
    if (typeof data === 'string') chunk.write(data, this.#chunkUsed, 'utf8');
    else data.copy(chunk, this.#chunkUsed);
    if (4 * (this.#count + 1) > this.#slots.length) {
      const grown = new Float64Array(Math.min(2 * this.#slots.length, 4 * this.#capacity));
      grown.set(this.#slots);
      this.#slots = grown;
    }
    const slot = 4 * this.#count;
    this.#slots[slot] = this.#chunks.length - 1;
    this.#slots[slot + 1] = this.#chunkUsed;
    this.#chunkUsed += length;
    this.#slots[slot + 2] = this.#chunkUsed;
    this.#slots[slot + 3] = receivedAt;
    this.#count += 1;
    this.#bytes += length;
    return true;
  }

  /** The bytes of message `index` (a view of the run's chunk: valid as long as the run is). */
  data(index: number): Buffer {
    const slot = this.#slot(index);
    return (this.#chunks[this.#slots[slot] as number] as Buffer).subarray(this.#slots[slot + 1], this.#slots[slot + 2]);
  }

  /** When message `index` was received (ms since the epoch). */
  receivedAt(index: number): number {
    return this.#slots[this.#slot(index) + 3] as number;
  }

  #slot(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.#count)
      throw new RangeError(`no message ${index} in a run of ${this.#count}`);
    return 4 * index;
  }
}
