import { assertNever, type StreamEntryFields } from '@turbostream/contracts';

/** A stream entry as flat `XADD` field/value pairs (the layout {@link StreamEntryFields} reads back). */
export function entryFields(entry: StreamEntryFields): string[] {
  switch (entry.kind) {
    case 'message':
      return ['kind', 'message', 'data', entry.data, 'receivedAt', String(entry.receivedAt)];
    case 'gap': {
      const fields = [
        'kind',
        'gap',
        'reason',
        entry.reason,
        'receivedAt',
        String(entry.receivedAt),
        'downMs',
        String(entry.downMs),
      ];
      return entry.lastEntryId === undefined ? fields : [...fields, 'lastEntryId', entry.lastEntryId];
    }
    default:
      return assertNever(entry, 'stream entry');
  }
}
