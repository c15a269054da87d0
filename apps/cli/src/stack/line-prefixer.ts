/**
 * Splits a child's output into lines and writes each with the child's name
 * in front (`[analyzer-2] …`), so the interleaved output of several
 * processes stays readable. A partial line waits for its end.
 */
export class LinePrefixer {
  readonly #prefix: string;
  readonly #write: (text: string) => void;
  #pending = '';

  /**
   * @param prefix written before every line, e.g. `[analyzer-2] `
   * @param write where prefixed lines go (each call ends with a newline)
   */
  constructor(prefix: string, write: (text: string) => void) {
    this.#prefix = prefix;
    this.#write = write;
  }

  /** Takes a chunk of output; writes every line it completes. */
  push(chunk: Buffer | string): void {
    const text = this.#pending + chunk.toString();
    const lines = text.split('\n');
    this.#pending = lines.pop() ?? '';
    if (lines.length === 0) return;
    this.#write(lines.map((line) => `${this.#prefix}${line.replace(/\r$/, '')}\n`).join(''));
  }

  /** Writes what is left of an unfinished last line (when the child exits). */
  flush(): void {
    if (this.#pending === '') return;
    const rest = this.#pending;
    this.#pending = '';
    this.#write(`${this.#prefix}${rest}\n`);
  }
}

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];

/** `[name] `, coloured (by position) when the output is a terminal. */
export function childPrefix(name: string, index: number, color: boolean): string {
  const label = `[${name}]`;
  return color ? `\u001b[${COLORS[index % COLORS.length]}m${label}\u001b[0m ` : `${label} `;
}
