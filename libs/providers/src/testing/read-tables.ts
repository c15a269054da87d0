// Shared by the prompt tests (not built into dist: see tsconfig.json). A reader of the tables inside the data fence,
// written apart from the code under test, on purpose: what a model is told about the format must be enough to read
// every cell back.

/** One row: its cells as written, and the truncation marker's N when the last cell was cut. */
export interface ReadRow {
  cells: string[];
  truncatedBytes: number;
}

export interface ReadTable {
  /** The header's column names (`#`, `+ms`, then the message's fields). */
  columns: string[];
  /** The header's `name=value` cells: name → the value's cell. */
  constants: Map<string, string>;
  rows: ReadRow[];
}

/** The end of a JSON string starting at `start` (the index after its closing quote). */
function stringEnd(line: string, start: number): number {
  let index = start + 1;
  while (index < line.length) {
    if (line[index] === '\\') index += 2;
    else if (line[index] === '"') return index + 1;
    else index += 1;
  }
  throw new Error(`unterminated string in ${line}`);
}

/** The end of a JSON array or object starting at `start`, brackets matched and strings skipped. */
function containerEnd(line: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < line.length) {
    const char = line[index];
    if (char === '"') {
      index = stringEnd(line, index);
      continue;
    }
    if (char === '[' || char === '{') depth += 1;
    if (char === ']' || char === '}') depth -= 1;
    index += 1;
    if (depth === 0) return index;
  }
  throw new Error(`unterminated JSON in ${line}`);
}

/**
 * Splits a header or row into its cells: a quoted cell is one JSON string,
 * a cell starting with `[` or `{` one JSON value (a `[gap: …]` marker runs to
 * the end of the line), anything else runs to the next comma; in a header,
 * `name=` may come before a quoted or bracketed value. A cut data
 * cell ends in ` [truncated N bytes]`. Throws on anything else, such as text
 * after a closing quote.
 */
export function splitCells(line: string, header = false): ReadRow {
  const cells: string[] = [];
  let index = 0;
  for (;;) {
    const char = line[index];
    // In a header, `name=` and then a quoted or bracketed value.
    const constant = header ? /^[^,="[{]+=(?=["[{])/.exec(line.slice(index)) : null;
    const start = constant ? index + constant[0].length : index;
    let end: number;
    if (line[start] === '"') end = stringEnd(line, start);
    else if (char === '[' && line.startsWith('[gap: ', index)) end = line.length;
    else if (line[start] === '[' || line[start] === '{') end = containerEnd(line, start);
    else end = line.indexOf(',', index) === -1 ? line.length : line.indexOf(',', index);
    cells.push(line.slice(index, end));
    if (end === line.length) return { cells, truncatedBytes: 0 };
    const marker = /^ \[truncated (\d+) bytes\]$/.exec(line.slice(end));
    if (marker) return { cells, truncatedBytes: Number(marker[1]) };
    if (line[end] !== ',') throw new Error(`text after a cell at ${end} in ${line}`);
    index = end + 1;
  }
}

/** The tables inside the fence, each a header (a line starting `#,`) and its rows. */
export function readTables(fencedLines: readonly string[]): ReadTable[] {
  const tables: ReadTable[] = [];
  for (const line of fencedLines) {
    if (line.startsWith('#,')) {
      const { cells } = splitCells(line, true);
      const columns = cells.filter((cell) => !cell.includes('='));
      const constants = new Map(
        cells
          .filter((cell) => cell.includes('='))
          .map((cell) => [cell.slice(0, cell.indexOf('=')), cell.slice(cell.indexOf('=') + 1)]),
      );
      tables.push({ columns, constants, rows: [] });
    } else {
      const table = tables.at(-1);
      if (!table) throw new Error(`a row before any header: ${line}`);
      table.rows.push(splitCells(line));
    }
  }
  return tables;
}

const JSON_SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

/** The value a cell holds: JSON for quoted, bracketed, numeric and literal cells, text otherwise. */
export function cellValue(cell: string): unknown {
  if (cell.startsWith('"') || cell.startsWith('[') || cell.startsWith('{') || JSON_SCALAR.test(cell))
    return JSON.parse(cell);
  return cell;
}

/**
 * A row of a message table as the message it shows: every field (the
 * header's constants too) put back at its `a.b` path; empty cells are
 * fields the message does not have.
 */
export function rowMessage(table: ReadTable, row: ReadRow): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  const put = (path: string, cell: string) => {
    const keys = path.split('.');
    let target = message;
    for (const key of keys.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys.at(-1) ?? ''] = cellValue(cell);
  };
  table.columns.slice(2).forEach((column, index) => {
    const cell = row.cells[index + 2] ?? '';
    if (cell !== '') put(column, cell);
  });
  for (const [name, cell] of table.constants) put(name, cell);
  return message;
}
