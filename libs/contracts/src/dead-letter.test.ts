import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_DETAIL_CHARACTERS, DEAD_LETTER_SAMPLE_BYTES, deadLetter } from './dead-letter.js';

const letter = (payload: string | Buffer) =>
  deadLetter({ streamId: 's1', reason: 'binary', detail: 'd', payload, receivedAt: 1 });

describe('deadLetter', () => {
  it('keeps short text as is, from a string or from UTF-8 bytes', () => {
    expect(letter('not json')).toEqual({
      streamId: 's1',
      reason: 'binary',
      detail: 'd',
      bytes: 8,
      sample: 'not json',
      sampleEncoding: 'utf8',
      receivedAt: 1,
    });
    expect(letter(Buffer.from('{"a":'))).toMatchObject({ sample: '{"a":', sampleEncoding: 'utf8', bytes: 5 });
  });

  it('bounds the sample of a large text and cuts it on a character boundary', () => {
    const { sample, sampleEncoding, bytes } = letter(`a${'€'.repeat(2_000)}`);
    expect(sampleEncoding).toBe('utf8');
    expect(bytes).toBe(6_001);
    expect(Buffer.byteLength(sample)).toBeLessThanOrEqual(DEAD_LETTER_SAMPLE_BYTES);
    expect(Buffer.byteLength(sample)).toBeGreaterThan(DEAD_LETTER_SAMPLE_BYTES - 4);
    expect(sample).toBe(`a${'€'.repeat((Buffer.byteLength(sample) - 1) / 3)}`);
  });

  it('encodes anything but UTF-8 as base64, bounded', () => {
    expect(letter(Buffer.from([0xff, 0x00, 0x01]))).toMatchObject({ sample: '/wAB', sampleEncoding: 'base64' });
    expect(letter(Buffer.from([0x7b, 0xff]))).toMatchObject({ sample: 'e/8=', sampleEncoding: 'base64' });
    const { sample, bytes } = letter(Buffer.alloc(100_000, 0xff));
    expect(Buffer.from(sample, 'base64').length).toBe(DEAD_LETTER_SAMPLE_BYTES);
    expect(bytes).toBe(100_000);
  });

  it('cuts the detail and takes the size given when the payload is not all of the input', () => {
    const record = deadLetter({
      streamId: 's1',
      reason: 'oversized',
      detail: 'x'.repeat(5_000),
      payload: Buffer.alloc(0),
      bytes: 20_000_000,
      receivedAt: 1,
    });
    expect(record).toMatchObject({ detail: 'x'.repeat(DEAD_LETTER_DETAIL_CHARACTERS), bytes: 20_000_000, sample: '' });
  });
});
