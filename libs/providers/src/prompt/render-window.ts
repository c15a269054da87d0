import {
  ENTRY_ID_PATTERN,
  entryIdTime,
  type ParsedEntryId,
  parseEntryId,
  type Window,
  type WindowGap,
  type WindowMessage,
} from '@turbostream/contracts';
import type { EntryRefs } from './entry-refs.js';
import { messageFields } from './message-fields.js';
import { escapeText, renderData, utf8Length } from './render-data.js';
import { cellOf, type TableEntry, tablesOf } from './window-tables.js';

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
   * Most UTF-8 bytes of the lines inside the fence (headers and rows,
   * newlines included); the entries after the last that fits are left out,
   * with a line after the fence saying how many.
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

/** The cell of the `data` table: the message as one JSON value (and its truncation marker), or the gap marker. */
function dataCell(entry: Entry, limits: PromptLimits): string {
  if (entry.kind === 'gap')
    return `[gap: ${escapeText(entry.gap.reason)}, source down for ${entry.gap.downMs} ms; messages may be missing]`;
  const data = renderData(entry.message.data, limits.maxMessageBytes);
  return data.truncatedBytes > 0 ? `${data.text} [truncated ${data.truncatedBytes} bytes]` : data.text;
}

/** The leaves of a message that may be a row, each with its cell; undefined when its row would pass the message cap. */
function rowFields(data: string, maxMessageBytes: number): TableEntry['fields'] {
  // A UTF-16 unit is at least one UTF-8 byte: a longer message cannot fit.
  if (data.length > maxMessageBytes) return undefined;
  const fields = messageFields(data);
  if (!fields) return undefined;
  const cells = fields.values.map(cellOf);
  const bytes = cells.reduce((sum, cell) => sum + utf8Length(cell) + 1, 0);
  return bytes > maxMessageBytes ? undefined : { ...fields, cells };
}

/** An entry as the tables need it: its ref (its place in the window), its time, its fields and its data cell. */
function tableEntry(entry: Entry, position: number, from: number, limits: PromptLimits): TableEntry {
  const at = ENTRY_ID_PATTERN.test(entry.id) ? String(entryIdTime(entry.id) - from) : '';
  let data: string | undefined;
  const fields = entry.kind === 'message' ? rowFields(entry.message.data, limits.maxMessageBytes) : undefined;
  return {
    position,
    at,
    ...(fields ? { fields } : {}),
    data: () => {
      data ??= dataCell(entry, limits);
      return data;
    },
  };
}

function linesBytes(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + utf8Length(line) + 1, 0);
}

/**
 * How many entries are shown, from the first: all of them when their tables
 * fit in `maxWindowBytes`, else the most that do (found by halving; adding an
 * entry almost always makes the tables longer).
 */
function shownCount(
  entries: readonly TableEntry[],
  from: number,
  maxBytes: number,
): { count: number; lines: string[] } {
  const all = tablesOf(entries, from);
  if (linesBytes(all) <= maxBytes) return { count: entries.length, lines: all };
  let fits = { count: 0, lines: [] as string[] };
  let over = entries.length;
  while (over - fits.count > 1) {
    const count = Math.floor((fits.count + over) / 2);
    const lines = tablesOf(entries.slice(0, count), from);
    if (linesBytes(lines) <= maxBytes) fits = { count, lines };
    else over = count;
  }
  return fits;
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

/** A window as the model sees it, and the entry id behind every ref it was shown. */
export interface RenderedWindow {
  text: string;
  refs: EntryRefs;
}

/**
 * Renders a window compactly and deterministically: a header with the
 * stream, the time range and counts, then the entries between the lines
 * {@link DATA_FENCE_OPEN} and {@link DATA_FENCE_CLOSE} as tables (see
 * {@link tablesOf}): a header line naming the columns, then one row per
 * entry starting with its ref (`1`, `2`, … in stream order) and its time
 * (ms after the window's start). When the entries do not all fit in
 * `limits.maxWindowBytes`, the first ones that do are shown and a line after
 * the fence says how many were left out. `refs` maps the ref of every entry
 * shown, and only those, back to its entry id.
 */
export function renderWindow(window: Window, limits: PromptLimits = DEFAULT_PROMPT_LIMITS): RenderedWindow {
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const gapNote = window.gaps.length > 0 ? `, ${window.gaps.length} gap(s) where messages may be missing` : '';
  const entries = entriesOf(window);
  const tableEntries = entries.map((entry, index) => tableEntry(entry, index + 1, window.from, limits));
  const shown = shownCount(tableEntries, window.from, limits.maxWindowBytes);
  const lines = [
    `Stream: ${escapeText(window.streamId)}`,
    `Window: ${escapeText(window.windowId)}, ${window.messages.length} messages from ${from} to ${to}${gapNote}`,
    DATA_FENCE_OPEN,
    ...shown.lines,
    DATA_FENCE_CLOSE,
  ];
  if (shown.count < entries.length) lines.push(leftOutLine(window, entries.slice(shown.count)));
  const refs = new Map(entries.slice(0, shown.count).map((entry, index) => [String(index + 1), entry.id]));
  return { text: lines.join('\n'), refs };
}
