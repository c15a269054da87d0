// The lines inside the data fence: the window's entries as tables, one per
// shape of message, rows of comma-separated cells under a header that names
// the columns once. Messages that do not pay as rows (text, JSON that is not
// an object, shapes seen once, shapes whose table would be longer than their
// JSON) and gaps are rows of the `data` table, one JSON value each.

import type { FieldValue } from './message-fields.js';
import { isPlainText, quoteText, renderData, utf8Length } from './render-data.js';

/** Separates the cells of a row and of a header. */
export const CELL_DELIMITER = ',';
/** The first two columns of every table: the entry's ref, and when it was stored (ms after the window's start). */
export const REF_COLUMN = '#';
export const TIME_COLUMN = '+ms';
/** The column of the `data` table, and its header: no table of messages has this header. */
export const DATA_COLUMN = 'data';
export const DATA_HEADER = [REF_COLUMN, TIME_COLUMN, DATA_COLUMN].join(CELL_DELIMITER);

/** One entry of the window, as the tables need it. */
export interface TableEntry {
  /** 1, 2, …: the entry's place in the stream order of the window; its ref is this number as a string. */
  position: number;
  /** The {@link TIME_COLUMN} cell. */
  at: string;
  /** The message's leaves, when it can be a row of a table of its shape. */
  fields?: { paths: readonly string[]; values: readonly FieldValue[]; cells: readonly string[] };
  /** The cell of the `data` table: the message as one JSON value (capped), or the gap marker. */
  data: () => string;
}

/** Tables wider than this many shapes are not started: further messages go to the `data` table. */
const MAX_TABLES = 16;
const DAY_MS = 86_400_000;

/** How a value is written in a cell: bare when nothing could misread it, otherwise as JSON. */
export function cellOf(value: FieldValue): string {
  if (value.kind === 'json') {
    const start = value.raw[0];
    return start === '[' || start === '{' ? renderData(value.raw, Number.POSITIVE_INFINITY).text : value.raw;
  }
  return isBare(value.value) ? value.value : quoteText(value.value);
}

/** Text that would read as a JSON number or literal: quoted, so that `"42"` and `42` stay apart. */
const JSON_SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

/**
 * A string stands bare unless it is empty, starts or ends with whitespace,
 * holds the delimiter, a quote, a backslash, a `<` or anything escaped,
 * starts like JSON (`[`, `{`) or reads as a number or literal: such cells are
 * JSON strings. (Quoting numeric strings costs no o200k tokens: `,"` and
 * `",` are tokens of their own.)
 */
function isBare(text: string): boolean {
  if (text === '' || /^\s|\s$/u.test(text)) return false;
  if (text[0] === '[' || text[0] === '{' || JSON_SCALAR.test(text)) return false;
  return !text.includes(CELL_DELIMITER) && isPlainText(text);
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?(?:Z|[+-]\d\d:\d\d)$/;

/**
 * The epoch ms of a value that reads as a timestamp near the window: a
 * 13-digit integer (epoch ms), a 10-digit one (epoch seconds), or an ISO
 * 8601 time to the millisecond, within a day of `from`.
 */
function timestampOf(value: FieldValue, from: number): number | undefined {
  let ms: number | undefined;
  if (value.kind === 'json') {
    if (/^\d{13}$/.test(value.raw)) ms = Number(value.raw);
    else if (/^\d{10}$/.test(value.raw)) ms = Number(value.raw) * 1000;
  } else if (ISO_TIME.test(value.value)) ms = Date.parse(value.value);
  return ms !== undefined && Number.isFinite(ms) && Math.abs(ms - from) <= DAY_MS ? ms : undefined;
}

interface Table {
  columns: string[];
  columnIndex: Map<string, number>;
  members: TableEntry[];
}

/**
 * What adding a message of these paths to `table` costs in cells, empty
 * cells for the columns one of them lacks; undefined when the two shapes
 * share less than half of their columns.
 */
function joinCost(table: Table, paths: readonly string[]): number | undefined {
  let shared = 0;
  for (const path of paths) if (table.columnIndex.has(path)) shared += 1;
  if (shared * 2 < paths.length || shared * 2 < table.columns.length) return undefined;
  return (paths.length - shared) * table.members.length + (table.columns.length - shared);
}

/**
 * Sorts messages with fields into tables, in stream order: a message joins
 * the table where it adds the fewest empty cells, when that costs less than
 * a header of its own; otherwise it starts a table.
 */
function sortIntoTables(entries: readonly TableEntry[]): { tables: Table[]; rest: TableEntry[] } {
  const tables: Table[] = [];
  const rest: TableEntry[] = [];
  for (const entry of entries) {
    const paths = entry.fields?.paths;
    if (!paths) {
      rest.push(entry);
      continue;
    }
    let best: Table | undefined;
    let bestCost = paths.length + 2;
    for (const table of tables) {
      const cost = joinCost(table, paths);
      if (cost !== undefined && cost < bestCost) {
        best = table;
        bestCost = cost;
      }
    }
    if (!best) {
      if (tables.length >= MAX_TABLES) {
        rest.push(entry);
        continue;
      }
      best = { columns: [], columnIndex: new Map(), members: [] };
      tables.push(best);
    }
    for (const path of paths) {
      if (!best.columnIndex.has(path)) {
        best.columnIndex.set(path, best.columns.length);
        best.columns.push(path);
      }
    }
    best.members.push(entry);
  }
  return { tables, rest };
}

/**
 * A table's header and rows, or undefined when its messages are shorter as
 * JSON in the `data` table, or when its header would read as that table's.
 */
function tableLines(table: Table, from: number): string[] | undefined {
  const { members, columns } = table;
  if (members.length < 2) return undefined;
  // cells[row][column]; undefined where the message has no such field.
  const cells: (string | undefined)[][] = members.map(() => new Array(columns.length));
  const values: (FieldValue | undefined)[][] = members.map(() => new Array(columns.length));
  members.forEach((member, row) => {
    const fields = member.fields;
    if (!fields) return;
    fields.paths.forEach((path, index) => {
      const column = table.columnIndex.get(path) ?? 0;
      (cells[row] as (string | undefined)[])[column] = fields.cells[index];
      (values[row] as (FieldValue | undefined)[])[column] = fields.values[index];
    });
  });
  const names = [...columns];
  columns.forEach((column, index) => {
    const times = values.map((row) => {
      const value = row[index];
      return value === undefined ? null : timestampOf(value, from);
    });
    if (times.some((time) => time === undefined) || times.every((time) => time === null)) return;
    names[index] = `${column}${TIME_COLUMN}`;
    times.forEach((time, row) => {
      if (typeof time === 'number') (cells[row] as (string | undefined)[])[index] = String(time - from);
    });
  });
  const varying: number[] = [];
  const constants: string[] = [];
  names.forEach((name, index) => {
    const first = cells[0]?.[index];
    if (first !== undefined && cells.every((row) => row[index] === first)) constants.push(`${name}=${first}`);
    else varying.push(index);
  });
  const header = [REF_COLUMN, TIME_COLUMN, ...varying.map((index) => names[index]), ...constants];
  if (header.join(CELL_DELIMITER) === DATA_HEADER) return undefined;
  const rows = members.map((member, row) => {
    const rowCells = varying.map((index) => cells[row]?.[index] ?? '');
    // Columns a later shape added come last: a row without them ends early.
    while (rowCells.at(-1) === '') rowCells.pop();
    return [String(member.position), member.at, ...rowCells].join(CELL_DELIMITER);
  });
  const lines = [header.join(CELL_DELIMITER), ...rows];
  const tableBytes = lines.reduce((sum, line) => sum + utf8Length(line) + 1, 0);
  const dataBytes = members.reduce((sum, member) => sum + utf8Length(dataRow(member)) + 1, 0);
  return tableBytes < dataBytes ? lines : undefined;
}

function dataRow(entry: TableEntry): string {
  return [String(entry.position), entry.at, entry.data()].join(CELL_DELIMITER);
}

/**
 * The lines inside the fence for these entries (in stream order): one table
 * per shape of message that pays as a table, then, in its place, the `data`
 * table with every other message and the gaps. Tables come in the order of
 * their first entry; rows in stream order, each starting with its ref.
 */
export function tablesOf(entries: readonly TableEntry[], from: number): string[] {
  const { tables, rest } = sortIntoTables(entries);
  const blocks: { first: number; lines: string[] }[] = [];
  const leftovers = [...rest];
  for (const table of tables) {
    const lines = tableLines(table, from);
    if (lines) blocks.push({ first: table.members[0]?.position ?? 0, lines });
    else leftovers.push(...table.members);
  }
  if (leftovers.length > 0) {
    leftovers.sort((left, right) => left.position - right.position);
    blocks.push({ first: leftovers[0]?.position ?? 0, lines: [DATA_HEADER, ...leftovers.map(dataRow)] });
  }
  return blocks.sort((left, right) => left.first - right.first).flatMap((block) => block.lines);
}
