import {
  assertNever,
  type Window,
  type WindowCloseReason,
  type WindowGap,
  type WindowMessage,
  entryIdTime,
} from '@turbostream/contracts';
import type { WindowLimits } from '@turbostream/config';
import type { CutterEntry, InvalidEntry } from './stream-entry.js';

/** The window being filled: everything after the checkpoint that is not sealed yet. */
export interface OpenWindow {
  firstEntryId: string;
  lastEntryId: string;
  /** Epoch ms from which on an entry no longer belongs to this window. */
  deadline: number;
  messages: readonly WindowMessage[];
  gaps: readonly WindowGap[];
  invalid: readonly InvalidEntry[];
  /** Sum of the messages' `data` byte lengths. */
  bytes: number;
  /** Every entry in the window, of any kind. */
  entries: number;
}

/** A window that will not change any more. Its `window.messages` may be empty (only gaps or invalid entries). */
export interface SealedWindow {
  window: Window;
  invalid: readonly InvalidEntry[];
  entries: number;
}

export interface CutInput {
  streamId: string;
  limits: WindowLimits;
  /** The entries that follow the open window (or the checkpoint), in stream order. */
  entries: readonly CutterEntry[];
  /** The window left open by the previous cut; not modified. */
  open?: OpenWindow | undefined;
  /**
   * Redis server time read before `entries` were read, given only when they
   * reach the end of the stream: any later entry gets an id at or after it,
   * so an open window whose deadline has passed can be sealed without one.
   */
  now?: number | undefined;
}

export interface CutResult {
  sealed: SealedWindow[];
  open: OpenWindow | undefined;
}

/**
 * Cuts stream entries into windows. Deterministic: a window is a function of
 * entry ids and contents only, so cutting the same entries in one go or chunk
 * by chunk, before or after a crash, yields the same windows.
 *
 * A window starts at the first entry after the previous one; its id is that
 * entry's id. An entry joins it while its id time is before the deadline
 * (first id time + `maxSeconds`) and, for a message, while the window has
 * room: fewer than `maxMessages` messages and `bytes + size <= maxBytes` (a
 * message larger than `maxBytes` on its own forms a window of its own). A
 * window full by count or bytes is sealed at once. Gaps and invalid entries
 * belong to the window they fall in but count towards no limit.
 */
export function cutWindows({ streamId, limits, entries, open, now }: CutInput): CutResult {
  const maxMessages = Math.max(1, limits.maxMessages);
  const maxBytes = Math.max(1, limits.maxBytes);
  const spanMs = limits.maxSeconds * 1_000;
  const sealed: SealedWindow[] = [];
  let current: Draft | undefined = open ? fromOpen(open) : undefined;

  for (const entry of entries) {
    const size = entry.kind === 'message' ? Buffer.byteLength(entry.data, 'utf8') : 0;
    if (current !== undefined) {
      if (entryIdTime(entry.id) >= current.deadline) {
        sealed.push(seal(streamId, current, 'time'));
        current = undefined;
      } else if (entry.kind === 'message' && current.messages.length > 0 && current.bytes + size > maxBytes) {
        sealed.push(seal(streamId, current, 'bytes'));
        current = undefined;
      }
    }
    current ??= start(entry.id, spanMs);
    add(current, entry, size);
    if (current.messages.length >= maxMessages) {
      sealed.push(seal(streamId, current, 'messages'));
      current = undefined;
    } else if (current.bytes >= maxBytes) {
      sealed.push(seal(streamId, current, 'bytes'));
      current = undefined;
    }
  }

  if (current !== undefined && now !== undefined && now >= current.deadline) {
    sealed.push(seal(streamId, current, 'time'));
    current = undefined;
  }
  return { sealed, open: current };
}

interface Draft {
  firstEntryId: string;
  lastEntryId: string;
  deadline: number;
  messages: WindowMessage[];
  gaps: WindowGap[];
  invalid: InvalidEntry[];
  bytes: number;
  entries: number;
}

function start(firstEntryId: string, spanMs: number): Draft {
  const deadline = entryIdTime(firstEntryId) + spanMs;
  return {
    firstEntryId,
    lastEntryId: firstEntryId,
    deadline,
    messages: [],
    gaps: [],
    invalid: [],
    bytes: 0,
    entries: 0,
  };
}

function fromOpen(open: OpenWindow): Draft {
  return { ...open, messages: [...open.messages], gaps: [...open.gaps], invalid: [...open.invalid] };
}

function add(draft: Draft, entry: CutterEntry, size: number): void {
  draft.lastEntryId = entry.id;
  draft.entries += 1;
  switch (entry.kind) {
    case 'message':
      draft.messages.push({ id: entry.id, data: entry.data, receivedAt: entry.receivedAt });
      draft.bytes += size;
      return;
    case 'gap':
      draft.gaps.push({ id: entry.id, reason: entry.reason, downMs: entry.downMs });
      return;
    case 'invalid':
      draft.invalid.push(entry);
      return;
    default:
      assertNever(entry, 'stream entry');
  }
}

function seal(streamId: string, draft: Draft, closedBy: WindowCloseReason): SealedWindow {
  const window: Window = {
    streamId,
    windowId: draft.firstEntryId,
    firstEntryId: draft.firstEntryId,
    lastEntryId: draft.lastEntryId,
    closedBy,
    bytes: draft.bytes,
    from: entryIdTime(draft.firstEntryId),
    to: entryIdTime(draft.lastEntryId),
    messages: draft.messages,
    gaps: draft.gaps,
  };
  return { window, invalid: draft.invalid, entries: draft.entries };
}
