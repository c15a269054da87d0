import { describe, expect, it } from 'vitest';
import { MessageRun } from './message-run.js';

const texts = (run: MessageRun) => Array.from({ length: run.count }, (_, index) => run.data(index).toString());

describe('MessageRun', () => {
  it('keeps messages in order with their receive times, across chunks, and a message larger than a chunk whole', () => {
    const run = new MessageRun(1_000, 10_000_000);
    const messages = [
      ...Array.from({ length: 300 }, (_, seq) => `{"seq":${seq},"p":"${'x'.repeat(seq % 97)}"}`),
      `{"big":"${'y'.repeat(200_000)}"}`,
      '{"after":"€"}',
    ];
    for (const [seq, message] of messages.entries())
      expect(run.tryAppend(Buffer.from(message), 1_000 + seq)).toBe(true);
    expect(texts(run)).toEqual(messages);
    expect(Array.from({ length: run.count }, (_, index) => run.receivedAt(index))).toEqual(
      messages.map((_, seq) => 1_000 + seq),
    );
    expect(run.bytes).toBe(messages.reduce((sum, message) => sum + Buffer.byteLength(message), 0));
  });

  it('copies what it is given: the caller may reuse its buffer at once', () => {
    const run = new MessageRun(10, 1_000);
    const frame = Buffer.from('{"a":1}');
    run.tryAppend(frame, 1);
    frame.write('{"b":2}');
    run.tryAppend(frame, 2);
    expect(texts(run)).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('stores a string as its UTF-8 bytes', () => {
    const run = new MessageRun(10, 1_000);
    run.tryAppend('{"p":"€"}', 1);
    expect(run.bytes).toBe(11);
    expect(texts(run)).toEqual(['{"p":"€"}']);
  });

  it('takes nothing more once full by count, by bytes (its first message whatever its size) or sealed', () => {
    const byCount = new MessageRun(2, 1_000);
    expect([byCount.tryAppend('a', 1), byCount.tryAppend('b', 2), byCount.tryAppend('c', 3)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(texts(byCount)).toEqual(['a', 'b']);

    const byBytes = new MessageRun(100, 10);
    expect([byBytes.tryAppend('x'.repeat(25), 1), byBytes.tryAppend('y', 2)]).toEqual([true, false]);
    const fits = new MessageRun(100, 10);
    expect([fits.tryAppend('12345', 1), fits.tryAppend('67890', 2), fits.tryAppend('!', 3)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(fits.bytes).toBe(10);

    const sealed = new MessageRun(100, 1_000);
    sealed.tryAppend('a', 1);
    sealed.seal();
    expect(sealed.tryAppend('b', 2)).toBe(false);
    expect(texts(sealed)).toEqual(['a']);
  });

  it('refuses an index it does not hold', () => {
    const run = new MessageRun(10, 1_000);
    run.tryAppend('a', 1);
    expect(() => run.data(1)).toThrow(RangeError);
    expect(() => run.receivedAt(-1)).toThrow(RangeError);
  });
});
