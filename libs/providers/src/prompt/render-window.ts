import {
  ENTRY_ID_PATTERN,
  entryIdTime,
  type ParsedEntryId,
  parseEntryId,
  type Window,
  type WindowGap,
  type WindowMessage,
} from '@turbostream/contracts';
import { escapeText, renderData, utf8Length } from './render-data.js';

/** The line before a window's entries. Data cannot write it: {@link renderData} escapes its `<`. */
export const DATA_FENCE_OPEN = '<stream_data>';

/** The line after a window's entries. */
export const DATA_FENCE_CLOSE = '</stream_data>';

/** How much of a window goes into a prompt. */
export interface PromptLimits {
  /**
   * Most UTF-8 bytes of one message's rendered data (quotes and escapes
   * included); the rest is cut, with a `[truncated N bytes]` marker after it.
   */
  maxMessageBytes: number;
  /**
   * Most UTF-8 bytes of a window's entry lines (newlines included); the
   * entries after the last that fits are left out, with a line after the
   * fence saying how many.
   */
  maxWindowBytes: number;
}

/**
 * 4 KiB a message and 256 KiB a window (the default `window.maxBytes` of
 * streams.yaml), about 64k tokens at most. At the defaults (50 messages a
 * window) a window is never cut: 50 × 4 KiB fits.
 */
export const DEFAULT_PROMPT_LIMITS: Readonly<PromptLimits> = { maxMessageBytes: 4096, maxWindowBytes: 262_144 };

/** A message or gap, in the order the stream holds them. */
type Entry = { kind: 'message'; id: string; message: WindowMessage } | { kind: 'gap'; id: string; gap: WindowGap };

/** An entry id's place in the stream: its parts when it is a stream entry id, else undefined (never expected). */
type SortKey = ParsedEntryId | undefined;

function sortKey(id: string): SortKey {
  return ENTRY_ID_PATTERN.test(id) ? parseEntryId(id) : undefined;
}

/** Stream order for entry ids; anything else (never expected) after them, as text. */
function compareEntries(left: { id: string; key: SortKey }, right: { id: string; key: SortKey }): number {
  if (left.key && right.key) return left.key.ms - right.key.ms || left.key.seq - right.key.seq;
  if (left.key || right.key) return left.key ? -1 : 1;
  return left.id < right.id ? -1 : left.id > right.id ? 1 : 0;
}

/** The window's messages and gaps in stream order (ids parsed once, not in every comparison). */
function entriesOf(window: Window): Entry[] {
  const entries: Entry[] = [
    ...window.messages.map((message): Entry => ({ kind: 'message', id: message.id, message })),
    ...window.gaps.map((gap): Entry => ({ kind: 'gap', id: gap.id, gap })),
  ];
  return entries
    .map((entry) => ({ entry, id: entry.id, key: sortKey(entry.id) }))
    .sort(compareEntries)
    .map(({ entry }) => entry);
}

/** `<id> <data>` with a `[truncated N bytes]` marker when the message was cut, or `<id> [gap: …]`. */
function entryLine(entry: Entry, limits: PromptLimits): string {
  const id = escapeText(entry.id);
  if (entry.kind === 'gap')
    return (
      `${id} [gap: ${escapeText(entry.gap.reason)}, source down for ${entry.gap.downMs} ms; messages may be ` +
      `missing]`
    );
  const data = renderData(entry.message.data, limits.maxMessageBytes);
  return data.truncatedBytes > 0 ? `${id} ${data.text} [truncated ${data.truncatedBytes} bytes]` : `${id} ${data.text}`;
}

/**
 * The lines of the entries that fit in `maxWindowBytes`, from the first on; none are rendered after the first that does
 * not fit.
 */
function fittingLines(entries: readonly Entry[], limits: PromptLimits): string[] {
  const lines: string[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const line = entryLine(entry, limits);
    const size = utf8Length(line) + 1;
    if (bytes + size > limits.maxWindowBytes) break;
    lines.push(line);
    bytes += size;
  }
  return lines;
}

/** When an entry was stored, from its id; undefined for an id that is not a stream entry id (never expected). */
function entryTime(entry: Entry | undefined): string | undefined {
  return entry && ENTRY_ID_PATTERN.test(entry.id) ? new Date(entryIdTime(entry.id)).toISOString() : undefined;
}

/**
 * The line after the fence when entries were left out: how many, over what
 * time, and that they may have mattered. It names times, not ids, so that
 * the model has no id to cite for an entry it did not see.
 */
function leftOutLine(window: Window, leftOut: readonly Entry[]): string {
  const messages = leftOut.filter((entry) => entry.kind === 'message').length;
  const gaps = leftOut.length - messages;
  const gapNote = gaps > 0 ? ` and ${gaps} gap(s)` : '';
  const from = entryTime(leftOut[0]);
  const to = entryTime(leftOut.at(-1));
  const span = from && to ? `, from ${from} to ${to}` : '';
  return (
    `[left out to fit the prompt: ${messages} of ${window.messages.length} messages${gapNote}${span}; they ` +
    `are not shown: do not assume none of them mattered]`
  );
}

/**
 * Renders a window compactly and deterministically: a header with the stream,
 * the time range and counts, then the entries in stream order between the
 * lines {@link DATA_FENCE_OPEN} and {@link DATA_FENCE_CLOSE}, one a line:
 * `<id> <data>` for a message (see {@link renderData}; cut messages end in
 * `[truncated N bytes]`) and `<id> [gap: …]` where data may be missing. When
 * the entries do not all fit in `limits.maxWindowBytes`, the first ones that
 * do are shown and a line after the fence says how many were left out.
 */
export function renderWindow(window: Window, limits: PromptLimits = DEFAULT_PROMPT_LIMITS): string {
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const gapNote = window.gaps.length > 0 ? `, ${window.gaps.length} gap(s) where messages may be missing` : '';
  const entries = entriesOf(window);
  const shown = fittingLines(entries, limits);
  const lines = [
    `Stream: ${escapeText(window.streamId)}`,
    `Window: ${escapeText(window.windowId)}, ${window.messages.length} messages from ${from} to ${to}${gapNote}`,
    DATA_FENCE_OPEN,
    ...shown,
    DATA_FENCE_CLOSE,
  ];
  if (shown.length < entries.length) lines.push(leftOutLine(window, entries.slice(shown.length)));
  return lines.join('\n');
}
