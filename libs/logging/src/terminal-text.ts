/**
 * Text from feeds and models on its way to a terminal. Such text may hold
 * control characters that a terminal obeys instead of showing: `ESC[2J`
 * clears the screen, `ESC]0;…BEL` sets the window title, BEL rings, C1
 * characters such as U+009B (CSI) start sequences of their own on some
 * terminals, and bidi overrides or line separators make a line read other
 * than it is. Everything printed for people goes through this module; what is
 * stored (the alert log, the pub/sub payload) keeps the text as it came.
 */

/**
 * One character that a terminal may act on or that may mislead its reader:
 * C0 controls (U+0000–U+001F, tab and line feed included), DEL, C1 controls
 * (U+0080–U+009F), the line and paragraph separators U+2028/U+2029, and the
 * bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069.
 * Not global, so it is safe with `test()`; for checking output in tests too.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ESCAPED_FOR_TERMINAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;
const ESCAPED_IN_JSON = new RegExp(TERMINAL_UNSAFE.source, 'g');
const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}

function visibleEscape(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
}

/**
 * `text` as it may be written to a terminal: every {@link TERMINAL_UNSAFE}
 * character becomes a visible escape, as in JavaScript source: `\t`, `\n`,
 * `\r` by name, other C0, DEL and C1 controls as `\xHH` (`\x1b[2J`, `\x07`,
 * `\x9b`), separators and bidi controls as `\uHHHH` (`\u202e`). Line feeds
 * are escaped too, so a field stays on its line. The backslash is doubled
 * (`\\`), so text that merely looks like an escape (a literal `\x1b`) cannot
 * pass for an escaped control: the output is unambiguous. Everything else,
 * accents, emoji and right-to-left scripts included, is left as it is.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(ESCAPED_FOR_TERMINAL, visibleEscape);
}

/**
 * A JSON text as it may be written to a terminal, and still JSON that parses
 * to the same value: every {@link TERMINAL_UNSAFE} character becomes a JSON
 * escape (`\u007f`, `\u009b`, `\u202e`, `\u2028`). `JSON.stringify` already
 * escapes C0 controls but leaves DEL, C1, separators and bidi controls raw;
 * this escapes them. Meant for compact JSON such as `JSON.stringify` writes,
 * whose only raw characters of that kind are inside strings: a raw tab or
 * line feed between tokens would be escaped too, which is no longer JSON.
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(ESCAPED_IN_JSON, (char) => `\\u${hex(char.charCodeAt(0), 4)}`);
}
