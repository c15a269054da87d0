/** Stream ids are short, lowercase and safe in Redis keys, BullMQ job ids and alert ids. */
export const STREAM_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** A Redis stream entry id, `<milliseconds>-<sequence>`. */
export const ENTRY_ID_PATTERN = /^\d+-\d+$/;

export interface ParsedEntryId {
  ms: number;
  seq: number;
}

export function parseEntryId(id: string): ParsedEntryId {
  if (!ENTRY_ID_PATTERN.test(id)) throw new TypeError(`not a stream entry id: ${JSON.stringify(id)}`);
  const dash = id.indexOf('-');
  return { ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

/** Orders two stream entry ids the way Redis does: negative, zero or positive. */
export function compareEntryIds(a: string, b: string): number {
  const left = parseEntryId(a);
  const right = parseEntryId(b);
  return left.ms - right.ms || left.seq - right.seq;
}

/** The time, in epoch milliseconds, that Redis stamped into an entry id. */
export function entryIdTime(id: string): number {
  return parseEntryId(id).ms;
}

export interface TargetRef {
  provider: string;
  model: string;
}

/**
 * The BullMQ job id of one window analysed by one target. Deterministic, so a
 * window recomputed after a crash maps onto the job already stored. BullMQ
 * forbids `:` in job ids; model names may hold one (`llama3:8b`), so the model
 * is percent-encoded.
 */
export function windowJobId(streamId: string, windowId: string, target: TargetRef): string {
  return [streamId, windowId, target.provider, encodeURIComponent(target.model)].join('.');
}

/** The id of the `index`-th alert a target raised for a window. Deterministic, so retries never duplicate. */
export function alertId(streamId: string, windowId: string, target: TargetRef, index: number): string {
  return [streamId, windowId, target.provider, target.model, String(index)].join('.');
}
