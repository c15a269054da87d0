// A message's JSON object as flat fields (`a.b.c` → leaf), for the tables of a
// rendered window. The leaves keep their source text: numbers as written
// (`1.50`, `12345678901234567890`), arrays as their JSON text.

/** One value of a flattened message. */
export type FieldValue =
  | { kind: 'string'; value: string }
  /** A number, a literal (`true`, `false`, `null`), or an array or empty object as its JSON text. */
  | { kind: 'json'; raw: string };

/** A message's leaves by path, in the order the message holds them. */
export interface MessageFields {
  paths: string[];
  values: FieldValue[];
}

/** Nesting deeper than this is not flattened: the message is shown as JSON. */
const MAX_DEPTH = 16;
/** A message with more leaves than this is shown as JSON. */
export const MAX_FIELDS = 64;
/** Keys longer than this make the message JSON. */
const MAX_KEY_LENGTH = 64;

/**
 * A key that can name a column as it is: letters, digits and most
 * punctuation, but no whitespace, no character that means something in a
 * header or a cell (`.` `,` `=` `#` `+` `"` `\`), none that is escaped (`<`,
 * controls, separators, bidi marks), and no brackets or braces.
 */
const PLAIN_KEY = /^[^\s.,=#+"\\<>[\]{}\p{C}\u2028\u2029]+$/u;

export function isPlainKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && PLAIN_KEY.test(key);
}

class NotFlat extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const WHITESPACE = /[ \t\n\r]*/y;

/**
 * A JSON parser that keeps what `JSON.parse` loses: key order as written
 * (integer-like keys included), duplicate keys (refused), and the text of
 * numbers and arrays. Anything it refuses leaves the message as JSON text.
 */
class Parser {
  index = 0;
  constructor(readonly text: string) {}

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.index;
    WHITESPACE.test(this.text);
    this.index = WHITESPACE.lastIndex;
  }

  match(pattern: RegExp): string {
    pattern.lastIndex = this.index;
    const found = pattern.exec(this.text);
    if (!found) throw new NotFlat();
    this.index = pattern.lastIndex;
    return found[0];
  }

  expect(char: string): void {
    if (this.text[this.index] !== char) throw new NotFlat();
    this.index += 1;
  }

  string(): string {
    const start = this.index;
    this.expect('"');
    for (;;) {
      const code = this.text.charCodeAt(this.index);
      if (Number.isNaN(code) || code < 0x20) throw new NotFlat();
      this.index += code === 0x5c ? 2 : 1;
      if (code === 0x22) break;
    }
    // JSON.parse checks the escapes and decodes them.
    return JSON.parse(this.text.slice(start, this.index)) as string;
  }

  /** Any value, for its extent only (inside arrays). */
  skipValue(depth: number): void {
    if (depth > MAX_DEPTH) throw new NotFlat();
    this.skipWhitespace();
    const char = this.text[this.index];
    if (char === '"') this.string();
    else if (char === '[' || char === '{') {
      const close = char === '[' ? ']' : '}';
      this.index += 1;
      this.skipWhitespace();
      if (this.text[this.index] === close) this.index += 1;
      else {
        for (;;) {
          if (close === '}') {
            this.skipWhitespace();
            this.string();
            this.skipWhitespace();
            this.expect(':');
          }
          this.skipValue(depth + 1);
          this.skipWhitespace();
          if (this.text[this.index] === ',') this.index += 1;
          else break;
        }
        this.expect(close);
      }
    } else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) this.match(NUMBER);
    else this.match(LITERAL);
  }

  /** The members of an object, flattened into `fields` under `prefix`. */
  object(prefix: string, fields: MessageFields, depth: number): void {
    if (depth > MAX_DEPTH) throw new NotFlat();
    this.expect('{');
    this.skipWhitespace();
    const start = fields.paths.length;
    if (this.text[this.index] === '}') {
      this.index += 1;
      // An empty object is a leaf; an empty message is not a row.
      if (!prefix) throw new NotFlat();
      fields.paths.push(prefix);
      fields.values.push({ kind: 'json', raw: '{}' });
      return;
    }
    const keys = new Set<string>();
    for (;;) {
      this.skipWhitespace();
      const key = this.string();
      if (!isPlainKey(key) || keys.has(key)) throw new NotFlat();
      keys.add(key);
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      this.member(prefix ? `${prefix}.${key}` : key, fields, depth);
      if (fields.paths.length - start > MAX_FIELDS) throw new NotFlat();
      this.skipWhitespace();
      if (this.text[this.index] === ',') this.index += 1;
      else break;
    }
    this.expect('}');
  }

  member(path: string, fields: MessageFields, depth: number): void {
    const char = this.text[this.index];
    if (char === '{') {
      this.object(path, fields, depth + 1);
      return;
    }
    let value: FieldValue;
    if (char === '"') value = { kind: 'string', value: this.string() };
    else {
      const start = this.index;
      this.skipValue(depth + 1);
      value = { kind: 'json', raw: this.text.slice(start, this.index) };
    }
    fields.paths.push(path);
    fields.values.push(value);
  }
}

/**
 * The leaves of a message that is one JSON object with plain keys (see
 * {@link isPlainKey}), nested objects flattened to `a.b.c` paths, arrays
 * kept whole; undefined for anything else (text, arrays, scalars, invalid
 * JSON, duplicate or unusual keys, very deep or very wide objects), which is
 * shown as JSON text instead.
 */
export function messageFields(data: string): MessageFields | undefined {
  const parser = new Parser(data);
  const fields: MessageFields = { paths: [], values: [] };
  try {
    parser.skipWhitespace();
    parser.object('', fields, 0);
    parser.skipWhitespace();
    if (parser.index !== data.length) return undefined;
  } catch (error) {
    if (error instanceof NotFlat || error instanceof SyntaxError) return undefined;
    throw error;
  }
  return fields.paths.length > MAX_FIELDS ? undefined : fields;
}
