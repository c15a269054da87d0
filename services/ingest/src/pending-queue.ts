/**
 * A FIFO queue whose front can be read in runs and dropped once written.
 * Array-backed with a moving head, so taking from the front is O(1) instead of
 * `Array.prototype.shift`'s O(n).
 */
export class PendingQueue<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The item at the front (the next to be written), if any. */
  first(): T | undefined {
    return this.#items[this.#head];
  }

  /** The item at the back (the one pushed last), if any. */
  last(): T | undefined {
    return this.size > 0 ? this.#items[this.#items.length - 1] : undefined;
  }

  /** Up to `max` items from the front for which `same(first, item)` holds, without removing them. */
  peekRun(max: number, same: (first: T, item: T) => boolean): T[] {
    const first = this.#items[this.#head];
    if (first === undefined) return [];
    const run: T[] = [first];
    for (let index = this.#head + 1; index < this.#items.length && run.length < max; index += 1) {
      const item = this.#items[index];
      if (item === undefined || !same(first, item)) break;
      run.push(item);
    }
    return run;
  }

  /** Removes `count` items from the front. */
  drop(count: number): void {
    const head = Math.min(this.#items.length, this.#head + count);
    // Let go of them now: under a flood the queue never empties, and the slots kept every written message alive (and
    // so promoted to V8's old generation) until the next compaction, thousands of messages later.
    this.#items.fill(undefined as T, this.#head, head);
    this.#head = head;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
