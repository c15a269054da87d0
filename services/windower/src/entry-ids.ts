import { compareEntryIds, parseEntryId } from '@turbostream/contracts';

/** The smallest entry id after `id`. */
export function nextEntryId(id: string): string {
  const { ms } = parseEntryId(id);
  const seq = BigInt(id.slice(id.indexOf('-') + 1));
  return `${ms}-${seq + 1n}`;
}

/**
 * The `XTRIM MINID` threshold after a checkpoint at `lastEntryId`: entries
 * older than `retentionMs` go, but never one after the checkpoint.
 */
export function trimThreshold(lastEntryId: string, now: number, retentionMs: number): string {
  const afterCheckpoint = nextEntryId(lastEntryId);
  const retained = `${Math.max(0, Math.floor(now - retentionMs))}-0`;
  return compareEntryIds(retained, afterCheckpoint) < 0 ? retained : afterCheckpoint;
}
