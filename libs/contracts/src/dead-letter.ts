import { z } from 'zod';

export const DeadLetterReason = z.enum(['binary', 'invalid-utf8', 'oversized', 'not-json', 'invalid-job']);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** What is kept aside in `turbostream:deadletter`: the reason and a bounded sample, never the whole input. */
export const DeadLetter = z.object({
  streamId: z.string(),
  reason: DeadLetterReason,
  detail: z.string(),
  bytes: z.coerce.number().int().nonnegative(),
  /** At most a few KiB: UTF-8 text as is, anything else base64. */
  sample: z.string(),
  sampleEncoding: z.enum(['utf8', 'base64']),
  receivedAt: z.coerce.number().int().nonnegative(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
