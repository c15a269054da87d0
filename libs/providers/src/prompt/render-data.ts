// One message's data as one JSON value on one line, safe inside the data
// fence: no character of it can end the line, open or close the fence, or
// reorder the text around it.

/** One message's data as rendered in the prompt. */
export interface RenderedData {
  /** A JSON value: the message itself when it is a JSON object or array, otherwise the message as a JSON string. */
  text: string;
  /** UTF-8 bytes of the message left out by the cap; 0 when it is shown whole. */
  truncatedBytes: number;
}

/** How characters are written: inside a JSON string we add (`quoted`), or as they stand (`bare`). */
type Mode = 'quoted' | 'bare';

/**
 * A `<` that could read as the fence's opening or closing tag (`</stream_data>`, `< /STREAM-DATA`, `<\/stream_data`).
 */
const FENCE_LIKE = /<[\s\\/]*stream[\W_]*data/iy;

/** Escapes JSON has a short form for. */
const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x22, '\\"'],
  [0x5c, '\\\\'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
]);

/**
 * Characters never shown raw: C0 and C1 controls (NEL included) and DEL, the
 * line and paragraph separators, bidi marks, embeddings, overrides and
 * isolates, and lone surrogates.
 */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    (code >= 0xd800 && code <= 0xdfff)
  );
}

function unicodeEscape(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** UTF-8 bytes of one code point; a lone surrogate counts as the 3-byte U+FFFD it is sent as. */
function codePointBytes(code: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  return code > 0xffff ? 4 : 3;
}

/** The UTF-8 length of a string, a lone surrogate counted as its 3-byte replacement (as it is sent). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Whether one UTF-16 unit can stand as it is: not unsafe, not part of a surrogate pair, not `<`, and in `quoted` mode
 * not `"` or `\`.
 */
function isPlainUnit(unit: number, mode: Mode): boolean {
  if (unit === 0x3c || isUnsafe(unit)) return false;
  return mode === 'bare' || (unit !== 0x22 && unit !== 0x5c);
}

/** Whether `text` needs no escape at all in `mode`: the common case, checked without building a copy. */
function isPlain(text: string, mode: Mode): boolean {
  for (let index = 0; index < text.length; index += 1) {
    if (!isPlainUnit(text.charCodeAt(index), mode)) return false;
  }
  return true;
}

/** How the code point at `index` is written: itself, or an escape (all ASCII). */
function writeCodePoint(text: string, index: number, code: number, mode: Mode): string {
  const short = mode === 'quoted' ? SHORT_ESCAPES.get(code) : undefined;
  if (short !== undefined) return short;
  if (isUnsafe(code)) return unicodeEscape(code);
  if (code === 0x3c) {
    FENCE_LIKE.lastIndex = index;
    if (FENCE_LIKE.test(text)) return unicodeEscape(code);
  }
  return String.fromCodePoint(code);
}

interface Escaped {
  text: string;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** How many UTF-16 units of the source were written. */
  consumed: number;
}

/** Writes `text` in `mode` until the next code point would take it over `maxBytes`. */
function escapeCodePoints(text: string, mode: Mode, maxBytes: number): Escaped {
  if (text.length <= maxBytes && isPlain(text, mode)) {
    const bytes = utf8Length(text);
    if (bytes <= maxBytes) return { text, bytes, consumed: text.length };
  }
  const parts: string[] = [];
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.codePointAt(index) ?? 0;
    const written = writeCodePoint(text, index, code, mode);
    // An escape is ASCII, one byte a character; anything else is the code point itself.
    const size = written.startsWith('\\') ? written.length : codePointBytes(code);
    if (bytes + size > maxBytes) break;
    parts.push(written);
    bytes += size;
    index += code > 0xffff ? 2 : 1;
  }
  return { text: parts.join(''), bytes, consumed: index };
}

/** Whether `data` is a JSON object or array; scalars are shown as strings so the two never look alike. */
function isJsonContainer(data: string): boolean {
  const start = data.trimStart()[0];
  if (start !== '{' && start !== '[') return false;
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * JSON with its line-break whitespace removed. In valid JSON, CR, LF and tab
 * only occur between tokens (never raw inside a string), and neither do the
 * spaces next to a line break, so this keeps the value.
 */
function joinJsonLines(json: string): string {
  return json
    .trim()
    .replace(/[ \t]*[\r\n][ \t\r\n]*/g, '')
    .replace(/\t/g, ' ');
}

/** The message as itself, when it is a JSON object or array that fits in `maxBytes` once escaped. */
function renderJson(data: string, maxBytes: number): RenderedData | undefined {
  if (data.length > maxBytes || !isJsonContainer(data)) return undefined;
  const joined = joinJsonLines(data);
  const escaped = escapeCodePoints(joined, 'bare', maxBytes);
  return escaped.consumed === joined.length ? { text: escaped.text, truncatedBytes: 0 } : undefined;
}

/** The message as a JSON string of at most `maxBytes`, quotes included, cut between characters. */
function renderString(data: string, maxBytes: number): RenderedData {
  const escaped = escapeCodePoints(data, 'quoted', Math.max(0, maxBytes - 2));
  const truncatedBytes = escaped.consumed === data.length ? 0 : utf8Length(data.slice(escaped.consumed));
  return { text: `"${escaped.text}"`, truncatedBytes };
}

/**
 * Renders one message's data as one JSON value on one line of at most
 * `maxBytes` UTF-8 bytes: a JSON object or array as it is (line breaks
 * between tokens removed), anything else, or anything longer, as a JSON
 * string, cut between characters when it is too long. Control characters,
 * line and paragraph separators, NEL, bidi controls, lone surrogates and a
 * `<` that could read as the fence tag are written as `\uXXXX` escapes, which
 * keep the JSON value. Decoding `text` gives the message, or its start when
 * `truncatedBytes` is not 0.
 */
export function renderData(data: string, maxBytes: number): RenderedData {
  return renderJson(data, maxBytes) ?? renderString(data, maxBytes);
}

/**
 * A text as one JSON string, every character {@link renderData} escapes
 * escaped, never cut: a table cell that cannot stand bare.
 */
export function quoteText(text: string): string {
  return renderString(text, Number.POSITIVE_INFINITY).text;
}

/**
 * Whether a text can stand as it is, unquoted: nothing in it needs an escape, and it holds no `"`, `\` or `<`.
 */
export function isPlainText(text: string): boolean {
  return isPlain(text, 'quoted');
}

/**
 * Our own text (ids, gap reasons) on one line: the characters {@link renderData}
 * escapes, and only those, written as `\uXXXX`.
 */
export function escapeText(text: string): string {
  return escapeCodePoints(text, 'bare', Number.POSITIVE_INFINITY).text;
}
