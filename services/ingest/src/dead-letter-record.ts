import { isUtf8 } from 'node:buffer';
import type { DeadLetter, DeadLetterReason } from '@turbostream/contracts';

/** Dead letters keep a sample of the frame, never the whole of it. */
export const DEAD_LETTER_SAMPLE_BYTES = 1024;

export interface DeadLetterInput {
  streamId: string;
  reason: DeadLetterReason;
  detail: string;
  /** The frame, or an empty buffer when the frame never reached us whole (ws closed with 1009). */
  data: Buffer;
  /** The frame's full size, when it differs from `data.length`. */
  bytes?: number;
  isBinary: boolean;
  receivedAt: number;
}

/** Builds the dead-letter record of a frame, with a sample bounded to {@link DEAD_LETTER_SAMPLE_BYTES}. */
export function deadLetterRecord(input: DeadLetterInput): DeadLetter {
  const { sample, sampleEncoding } = sampleFrame(input.data, input.isBinary);
  return {
    streamId: input.streamId,
    reason: input.reason,
    detail: input.detail,
    bytes: input.bytes ?? input.data.length,
    sample,
    sampleEncoding,
    receivedAt: input.receivedAt,
  };
}

/**
 * The first bytes of a frame: UTF-8 text as is (cut on a character boundary),
 * anything else as base64.
 */
export function sampleFrame(
  data: Buffer,
  isBinary: boolean,
  limit = DEAD_LETTER_SAMPLE_BYTES,
): { sample: string; sampleEncoding: DeadLetter['sampleEncoding'] } {
  const head = data.subarray(0, limit);
  if (!isBinary) {
    // A cut may split a multi-byte character: drop up to three trailing bytes to find a boundary.
    const shortest = data.length > limit ? Math.max(0, head.length - 3) : head.length;
    for (let end = head.length; end >= shortest; end -= 1) {
      const candidate = head.subarray(0, end);
      if (isUtf8(candidate)) return { sample: candidate.toString('utf8'), sampleEncoding: 'utf8' };
    }
  }
  return { sample: head.toString('base64'), sampleEncoding: 'base64' };
}

/** The dead letter as flat `XADD` field/value pairs. */
export function deadLetterFields(deadLetter: DeadLetter): string[] {
  return [
    'streamId', deadLetter.streamId,
    'reason', deadLetter.reason,
    'detail', deadLetter.detail,
    'bytes', String(deadLetter.bytes),
    'sample', deadLetter.sample,
    'sampleEncoding', deadLetter.sampleEncoding,
    'receivedAt', String(deadLetter.receivedAt),
  ];
}
