import { describe, expect, it } from 'vitest';
import { classifyFrame } from './frame-classifier.js';

const json = { maxFrameBytes: 64, format: 'json' } as const;
const text = { maxFrameBytes: 64, format: 'text' } as const;

describe('classifyFrame', () => {
  it('accepts a JSON text frame as a message', () => {
    expect(classifyFrame(Buffer.from('{"p":"61210.5","q":1}'), false, json)).toEqual({
      kind: 'message',
      data: Buffer.from('{"p":"61210.5","q":1}'),
    });
  });

  it('keeps multi-byte UTF-8 text intact', () => {
    expect(classifyFrame(Buffer.from('"€ 12 ✓"'), false, json)).toEqual({
      kind: 'message',
      data: Buffer.from('"€ 12 ✓"'),
    });
  });

  it('rejects binary frames, even when their bytes are valid text', () => {
    const verdict = classifyFrame(Buffer.from('{"a":1}'), true, json);
    expect(verdict).toMatchObject({ kind: 'dead-letter', reason: 'binary' });
  });

  it('rejects text frames that are not valid UTF-8', () => {
    expect(classifyFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false, text)).toMatchObject({
      kind: 'dead-letter',
      reason: 'invalid-utf8',
    });
    // A truncated three-byte sequence (the first two bytes of "€").
    expect(classifyFrame(Buffer.from([0x22, 0xe2, 0x82, 0x22]), false, text)).toMatchObject({
      kind: 'dead-letter',
      reason: 'invalid-utf8',
    });
  });

  it('rejects frames over the size limit before looking at their content', () => {
    expect(classifyFrame(Buffer.alloc(64, 0x61), false, text)).toEqual({
      kind: 'message',
      data: Buffer.from('a'.repeat(64)),
    });
    const verdict = classifyFrame(Buffer.alloc(65, 0xff), true, json);
    expect(verdict).toMatchObject({ kind: 'dead-letter', reason: 'oversized' });
    expect(verdict.kind === 'dead-letter' && verdict.detail).toContain('65 bytes');
  });

  it('rejects text that is not JSON when the source format is json', () => {
    expect(classifyFrame(Buffer.from('hello'), false, json)).toMatchObject({ kind: 'dead-letter', reason: 'not-json' });
    expect(classifyFrame(Buffer.from('{"a":'), false, json)).toMatchObject({ kind: 'dead-letter', reason: 'not-json' });
  });

  it('accepts any UTF-8 text when the source format is text', () => {
    expect(classifyFrame(Buffer.from('hello, world'), false, text)).toEqual({
      kind: 'message',
      data: Buffer.from('hello, world'),
    });
    expect(classifyFrame(Buffer.from('{"a":'), false, text)).toEqual({ kind: 'message', data: Buffer.from('{"a":') });
  });
});
