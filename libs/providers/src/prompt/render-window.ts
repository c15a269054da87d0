import { compareEntryIds, ENTRY_ID_PATTERN, type Window } from '@turbostream/contracts';

/** Stream data on one line: line breaks inside a message would break the one-message-a-line layout. */
function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\\n');
}

/** Stream order for entry ids; anything else (never expected) after them, as text. */
function compareIds(left: string, right: string): number {
  const leftValid = ENTRY_ID_PATTERN.test(left);
  const rightValid = ENTRY_ID_PATTERN.test(right);
  if (leftValid && rightValid) return compareEntryIds(left, right);
  if (leftValid !== rightValid) return leftValid ? -1 : 1;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Renders a window compactly and deterministically: a header with the stream,
 * the time range and counts, then one line per entry in stream order,
 * `<id> <data>` for a message and `<id> [gap: …]` where data may be missing.
 */
export function renderWindow(window: Window): string {
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const gapNote = window.gaps.length > 0 ? `, ${window.gaps.length} gap(s) where messages may be missing` : '';
  const lines = [
    `Stream: ${window.streamId}`,
    `Window: ${window.windowId}, ${window.messages.length} messages from ${from} to ${to}${gapNote}`,
    'Entries, one a line, as <id> <data>:',
  ];
  const entries: { id: string; line: string }[] = [
    ...window.messages.map((message) => ({ id: message.id, line: `${message.id} ${oneLine(message.data)}` })),
    ...window.gaps.map((gap) => ({ id: gap.id, line: `${gap.id} [gap: ${oneLine(gap.reason)}, source down for ${gap.downMs} ms; messages may be missing]` })),
  ];
  entries.sort((left, right) => compareIds(left.id, right.id));
  for (const entry of entries) lines.push(entry.line);
  return lines.join('\n');
}
