import { z } from 'zod';

/**
 * The fields ingest writes into a source's Redis stream (`XADD … kind … data …`).
 * A `message` carries one WebSocket text frame; a `gap` marks a reconnect (or
 * a restart of ingest, reason `ingest-restart`) after which data may be missing.
 */
export const StreamEntryFields = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    data: z.string(),
    receivedAt: z.coerce.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal('gap'),
    reason: z.string(),
    receivedAt: z.coerce.number().int().nonnegative(),
    downMs: z.coerce.number().int().nonnegative(),
    /** The id of the entry before the gap, when ingest knew it (after a restart of ingest). */
    lastEntryId: z
      .string()
      .regex(/^\d+-\d+$/)
      .optional(),
  }),
]);
export type StreamEntryFields = z.infer<typeof StreamEntryFields>;

/** Turns the flat `[field, value, field, value]` array Redis returns into an object. */
export function fieldsToObject(fields: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) {
    result[fields[index] as string] = fields[index + 1] as string;
  }
  return result;
}
