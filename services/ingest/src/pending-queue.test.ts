import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PendingQueue } from './pending-queue.js';

/** V8's `gc()`, without starting Node with --expose-gc: the flag is read when a context is made. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('PendingQueue', () => {
  it('reads runs from the front and drops them once written, in order', () => {
    const queue = new PendingQueue<string>();
    for (const item of ['a1', 'a2', 'b1', 'a3', 'a4', 'a5']) queue.push(item);
    const sameLetter = (first: string, item: string) => first[0] === item[0];
    expect(queue.peekRun(10, sameLetter)).toEqual(['a1', 'a2']);
    expect(queue.peekRun(10, sameLetter)).toEqual(['a1', 'a2']);
    queue.drop(2);
    expect(queue.peekRun(10, sameLetter)).toEqual(['b1']);
    queue.drop(1);
    expect(queue.peekRun(2, sameLetter)).toEqual(['a3', 'a4']);
    expect(queue.size).toBe(3);
  });

  it('keeps order across compactions of a long queue', () => {
    const queue = new PendingQueue<number>();
    const taken: number[] = [];
    for (let index = 0; index < 20_000; index += 1) {
      queue.push(index);
      if (index % 3 === 0) {
        const run = queue.peekRun(5, () => true);
        taken.push(...run);
        queue.drop(run.length);
      }
    }
    while (queue.size > 0) {
      const run = queue.peekRun(100, () => true);
      taken.push(...run);
      queue.drop(run.length);
    }
    expect(taken).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
    expect(queue.peekRun(1, () => true)).toEqual([]);
  });

  it('lets go of what it dropped: a written message is garbage at once, not when the queue next empties', async () => {
    const gc = exposedGc();
    const queue = new PendingQueue<{ seq: number }>();
    const refs: Array<WeakRef<{ seq: number }>> = [];
    for (let seq = 0; seq < 10; seq += 1) {
      const item = { seq };
      refs.push(new WeakRef(item));
      queue.push(item);
    }
    queue.drop(4);
    // A WeakRef holds its target until the current job ends: let it end, then collect.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.map((ref) => ref.deref()?.seq)).toEqual([undefined, undefined, undefined, undefined, 4, 5, 6, 7, 8, 9]);
    expect(queue.peekRun(10, () => true).map((item) => item.seq)).toEqual([4, 5, 6, 7, 8, 9]);
  });
});
