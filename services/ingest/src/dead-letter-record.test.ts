import { DeadLetter, fieldsToObject } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_SAMPLE_BYTES, deadLetterFields, deadLetterRecord, sampleFrame } from './dead-letter-record.js';

describe('dead-letter records', () => {
  it('keeps short text as is', () => {
    expect(sampleFrame(Buffer.from('not json'), false)).toEqual({ sample: 'not json', sampleEncoding: 'utf8' });
  });

  it('bounds the sample of a large text frame and cuts it on a character boundary', () => {
    const frame = Buffer.from(`a${'€'.repeat(2_000)}`);
    const { sample, sampleEncoding } = sampleFrame(frame, false);
    expect(sampleEncoding).toBe('utf8');
    expect(Buffer.byteLength(sample)).toBeLessThanOrEqual(DEAD_LETTER_SAMPLE_BYTES);
    expect(Buffer.byteLength(sample)).toBeGreaterThan(DEAD_LETTER_SAMPLE_BYTES - 4);
    expect(sample).toBe(`a${'€'.repeat((Buffer.byteLength(sample) - 1) / 3)}`);
  });

  it('encodes binary and invalid UTF-8 as base64, bounded', () => {
    expect(sampleFrame(Buffer.from([0xff, 0x00, 0x01]), true)).toEqual({ sample: '/wAB', sampleEncoding: 'base64' });
    expect(sampleFrame(Buffer.from([0x7b, 0xff]), false)).toEqual({ sample: 'e/8=', sampleEncoding: 'base64' });
    const { sample } = sampleFrame(Buffer.alloc(100_000, 0xff), true);
    expect(Buffer.from(sample, 'base64').length).toBe(DEAD_LETTER_SAMPLE_BYTES);
  });

  it('writes fields that the DeadLetter contract reads back', () => {
    const record = deadLetterRecord({ streamId: 's1', reason: 'binary', detail: 'binary frame', data: Buffer.alloc(3_000, 1), isBinary: true, receivedAt: 1_764_102_000_000 });
    const parsed = DeadLetter.safeParse(fieldsToObject(deadLetterFields(record)));
    expect(parsed.success && parsed.data).toEqual({ ...record, bytes: 3_000 });
  });
});
