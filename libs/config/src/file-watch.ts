import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname } from 'node:path';

/** A look at a file: its text, or that it is missing (with `error` when it exists but cannot be read). */
export type FileRead = { text: string } | { missing: true; error?: string };

/** What the file held when last looked at: its content's hash, or that it was missing. */
type Seen = { hash: string } | { missing: true; error?: string };

const MAX_SETTLE_READS = 10;

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads a file: its text, or that it is missing (with `error` when it exists but cannot be read). */
export function readFileText(path: string): FileRead {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { missing: true, error: error instanceof Error ? error.message : String(error) };
  }
}

function seenOf(read: FileRead): Seen {
  return 'text' in read ? { hash: hashOf(read.text) } : read;
}

function sameSeen(left: Seen | undefined, right: Seen): boolean {
  if (left === undefined) return false;
  if ('hash' in left || 'hash' in right) return 'hash' in left && 'hash' in right && left.hash === right.hash;
  return left.error === right.error;
}

export interface FileWatchOptions {
  /** The file (absolute); it need not exist. Its directory is watched, so a symlink swapped there is seen. */
  path: string;
  /**
   * Called with each new content of the file (never twice at once): at the first look, then at every change of
   * content. `initial` is true for the first look.
   */
  onChange: (read: FileRead, initial: boolean) => void | Promise<void>;
  /** A failure of the watch itself (not of the file's contents). @defaultValue ignored */
  onError?: (error: unknown) => void;
  /** Quiet time after a change before the file is read, and between the two reads that must agree. @defaultValue 200 */
  debounceMs?: number;
  /** The file is also read this often, for file systems where watching misses changes. @defaultValue 2000 */
  pollMs?: number;
}

/**
 * Follows a file's content while a service runs: the directory is watched (`fs.watch`, debounced) and the file read
 * every `pollMs` as well; only a change of content counts, so touching the file, a swapped symlink with the same
 * content (a Kubernetes ConfigMap) or a burst of events report nothing. A file being written is read until two reads
 * `debounceMs` apart agree. The streams file and the price file are both followed with it.
 */
export class FileWatch {
  readonly #options: FileWatchOptions;
  #seen: Seen | undefined;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: FileWatchOptions) {
    this.#options = options;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Starts watching, and looks at the file once at once. */
  start(): void {
    if (this.#closed || this.#poll) return;
    this.#watchDirectory();
    this.#poll = setInterval(() => this.#schedule(0), this.#options.pollMs ?? 2_000);
    this.#poll.unref();
    this.#schedule(0);
  }

  /** Stops watching; waits for a look in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    await this.#checking;
  }

  /** Looks at the file now (and again once a look in progress ends); resolves when done. */
  async check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = this.#checkUntilQuiet().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  #watchDirectory(): void {
    try {
      this.#watcher = watch(dirname(this.#options.path), { persistent: false }, () =>
        this.#schedule(this.#options.debounceMs ?? 200),
      );
      this.#watcher.on('error', (error) => {
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#options.onError?.(error);
      });
    } catch (error) {
      this.#options.onError?.(error); // polling alone still sees every change
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.check().catch((error: unknown) => this.#options.onError?.(error));
    }, delayMs);
  }

  async #checkUntilQuiet(): Promise<void> {
    do {
      this.#again = false;
      await this.#checkOnce();
    } while (this.#again && !this.#closed);
  }

  async #checkOnce(): Promise<void> {
    const first = readFileText(this.#options.path);
    if (sameSeen(this.#seen, seenOf(first))) return;
    const read = await this.#settled(first);
    if (this.#closed) return;
    const seen = seenOf(read);
    if (sameSeen(this.#seen, seen)) return;
    const initial = this.#seen === undefined;
    this.#seen = seen;
    await this.#options.onChange(read, initial);
  }

  /** Reads again until two reads `debounceMs` apart agree: a file being written is not taken half-written. */
  async #settled(first: FileRead): Promise<FileRead> {
    let previous = first;
    for (let reads = 0; reads < MAX_SETTLE_READS && !this.#closed; reads += 1) {
      await new Promise((resolve) => setTimeout(resolve, this.#options.debounceMs ?? 200));
      const next = readFileText(this.#options.path);
      if (sameSeen(seenOf(previous), seenOf(next))) return next;
      previous = next;
    }
    return previous;
  }
}
