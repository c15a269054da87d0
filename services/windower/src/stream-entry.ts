import { StreamEntryFields, entryIdTime, fieldsToObject } from '@turbostream/contracts';

/** An entry that did not match {@link StreamEntryFields}: kept out of every window and dead-lettered. */
export interface InvalidEntry {
  id: string;
  kind: 'invalid';
  /** Why it was rejected, naming the entry id and the failing fields. */
  detail: string;
  /** The entry's fields as JSON (its dead letter keeps a sample). */
  payload: string;
  /** When Redis stored it (from its id). */
  receivedAt: number;
}

/** One entry of a source's Redis stream, as the window cutter sees it. */
export type CutterEntry =
  | { id: string; kind: 'message'; data: string; receivedAt: number }
  | { id: string; kind: 'gap'; reason: string; receivedAt: number; downMs: number }
  | InvalidEntry;

/** Parses one `XRANGE` entry (`[id, [field, value, …]]`) with {@link StreamEntryFields}. */
export function parseStreamEntry(id: string, fields: readonly string[]): CutterEntry {
  const object = fieldsToObject(fields);
  const parsed = StreamEntryFields.safeParse(object);
  if (parsed.success) return { id, ...parsed.data };
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`)
    .join('; ');
  return {
    id,
    kind: 'invalid',
    detail: `stream entry ${id} is not a valid message or gap entry (${problems})`,
    payload: JSON.stringify(object),
    receivedAt: entryIdTime(id),
  };
}
