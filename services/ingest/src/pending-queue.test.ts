import { describe, expect, it } from 'vitest';
import { PendingQueue } from './pending-queue.js';

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
});
