import { isUtf8 } from 'node:buffer';
import { z } from 'zod';

export const DeadLetterReason = z.enum([
  'binary', // ingest: a binary WebSocket frame
  'invalid-utf8', // ingest: a text frame that is not valid UTF-8
  'oversized', // ingest: a frame above maxFrameBytes
  'not-json', // ingest: a frame of a `format: json` source that does not parse
  'invalid-entry', // windower: a stream entry that is neither a message nor a gap
  'invalid-job', // analyzer: job data that is not a WindowJob
]);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** What is kept aside in `turbostream:deadletter`: the reason and a bounded sample, never the whole input. */
export const DeadLetter = z.object({
  streamId: z.string(),
  reason: DeadLetterReason,
  detail: z.string(),
  bytes: z.coerce.number().int().nonnegative(),
  /** At most {@link DEAD_LETTER_SAMPLE_BYTES}: UTF-8 text as is, anything else base64. */
  sample: z.string(),
  sampleEncoding: z.enum(['utf8', 'base64']),
  receivedAt: z.coerce.number().int().nonnegative(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** The longest sample, in bytes of the input (before base64). */
export const DEAD_LETTER_SAMPLE_BYTES = 1024;
/** The longest detail, in characters. */
export const DEAD_LETTER_DETAIL_CHARACTERS = 1000;

/**
 * The dead letter of `payload`, the one sampling rule of every writer: its
 * first {@link DEAD_LETTER_SAMPLE_BYTES} bytes, UTF-8 text as is (cut on a
 * character boundary), anything else base64; the detail cut too.
 * `bytes` is the input's size when `payload` is not all of it.
 */
export function deadLetter(input: {
  streamId: string;
  reason: DeadLetterReason;
  detail: string;
  payload: string | Buffer;
  bytes?: number | undefined;
  receivedAt: number;
}): DeadLetter {
  const data = typeof input.payload === 'string' ? Buffer.from(input.payload) : input.payload;
  const head = data.subarray(0, DEAD_LETTER_SAMPLE_BYTES);
  // A cut may split a multi-byte character: drop up to three trailing bytes to find a boundary.
  let text: Buffer | undefined;
  for (
    let end = head.length;
    text === undefined && end >= (data.length > head.length ? head.length - 3 : head.length);
    end -= 1
  ) {
    if (isUtf8(head.subarray(0, end))) text = head.subarray(0, end);
  }
  return {
    streamId: input.streamId,
    reason: input.reason,
    detail: input.detail.slice(0, DEAD_LETTER_DETAIL_CHARACTERS),
    bytes: input.bytes ?? data.length,
    sample: (text ?? head).toString(text ? 'utf8' : 'base64'),
    sampleEncoding: text ? 'utf8' : 'base64',
    receivedAt: input.receivedAt,
  };
}
