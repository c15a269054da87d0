import { type ConfigProblem, canonicalJson, FileWatch, type FileRead, streamsFileName } from '@turbostream/config';
import type { PriceBook } from './price-book.js';
import { parsePriceFile, readPriceFile } from './price-file.js';
import type { PriceRow } from './price-table.js';

/**
 * What a look at the price file found:
 * - `applied`: a valid version with other rows than the ones in force; they are in force now (`rows` may be empty);
 * - `removed`: the file is gone; the built-in prices apply alone;
 * - `rejected`: the file does not validate (or cannot be read); the previous prices stay in force.
 */
export type PriceReload =
  | { kind: 'applied'; rows: readonly PriceRow[] }
  | { kind: 'removed' }
  | { kind: 'rejected'; problems: ConfigProblem[] };

export interface PriceWatchOptions {
  /** The price file (absolute); it need not exist. */
  path: string;
  /** The file's name in messages. @defaultValue `path`, relative to the working directory */
  fileName?: string;
  /** Called with each new version of the file that changes something (or is rejected); never twice at once. */
  onReload?: (reload: PriceReload) => void;
  /** A failure of the watch itself (not of the file's contents). @defaultValue ignored */
  onError?: (error: unknown) => void;
  /** @defaultValue 200 */
  debounceMs?: number;
  /** How often the file is read, besides watching its directory. @defaultValue 2000 */
  pollMs?: number;
}

/** The price book of a price file as it is now: its rows over the built-in ones, or its problems (and no rows). */
export function loadPriceFile(
  book: PriceBook,
  path: string,
  fileName: string = streamsFileName(path, process.cwd()),
): { exists: boolean; problems: ConfigProblem[] } {
  const { exists, rows, problems } = readPriceFile(path, fileName);
  if (problems.length === 0) book.setUserRows(rows);
  return { exists, problems };
}

/**
 * Follows the user's price file while the analyzer runs (the streams file's {@link FileWatch}: polled every 2 s,
 * its directory watched, only a change of content counting). A valid version replaces the user's rows of `book`
 * at once; a version that does not validate changes nothing and is reported once, with every problem; a removed
 * file leaves the built-in prices alone.
 */
export class PriceFileWatch {
  readonly #book: PriceBook;
  readonly #options: PriceWatchOptions;
  readonly #fileName: string;
  readonly #watch: FileWatch;

  constructor(book: PriceBook, options: PriceWatchOptions) {
    this.#book = book;
    this.#options = options;
    this.#fileName = options.fileName ?? streamsFileName(options.path, process.cwd());
    this.#watch = new FileWatch({
      path: options.path,
      onChange: (read, initial) => this.#changed(read, initial),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    });
  }

  /** Starts following the file, and looks at it once at once. */
  start(): this {
    this.#watch.start();
    return this;
  }

  /** Looks at the file now; resolves when done. */
  check(): Promise<void> {
    return this.#watch.check();
  }

  /** Stops following the file; the prices in force stay. */
  close(): Promise<void> {
    return this.#watch.close();
  }

  #changed(read: FileRead, initial: boolean): void {
    if ('missing' in read && !read.error) {
      // Gone: the built-in prices apply alone (a file that was never there changes nothing).
      if (this.#book.userRows.length === 0 && initial) return;
      this.#book.setUserRows([]);
      this.#options.onReload?.({ kind: 'removed' });
      return;
    }
    const { rows, problems } =
      'text' in read
        ? parsePriceFile(read.text, this.#fileName)
        : { rows: [], problems: [{ source: this.#fileName, field: '', message: `cannot be read (${read.error})` }] };
    if (problems.length > 0) {
      this.#options.onReload?.({ kind: 'rejected', problems });
      return;
    }
    // The first look usually finds what was loaded at start: nothing to apply or say.
    if (sameRows(rows, this.#book.userRows)) return;
    this.#book.setUserRows(rows);
    this.#options.onReload?.({ kind: 'applied', rows });
  }
}

/** True when two lists of rows are the same. */
function sameRows(left: readonly PriceRow[], right: readonly PriceRow[]): boolean {
  return canonicalJson(left) === canonicalJson(right);
}
