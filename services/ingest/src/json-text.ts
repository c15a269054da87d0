/**
 * Whether `bytes` (valid UTF-8) are one JSON text, exactly as `JSON.parse` would accept their decoded text (RFC 8259:
 * one value, with only space, tab, line feed and carriage return around its tokens), without decoding them or
 * building the value.
 *
 * Why not `JSON.parse` in a try: ingest checks every frame of a `format: json` source and keeps only the frame, so the
 * parsed value is garbage at once. For a 2 KB order-book update that is some 20 KB of arrays and strings per message,
 * and the text decoded for it 2 KB more: under a flood it was half of ingest's CPU, and the garbage made V8 collect
 * its young generation several times a second. This scanner reads the bytes once and allocates nothing (its
 * container stack is reused across calls). Bytes of multi-byte characters (0x80 and up) are accepted inside strings
 * only, as their characters are by `JSON.parse`; the caller has checked that the bytes are UTF-8.
 */
export function isJsonText(bytes: Uint8Array): boolean {
  const end = bytes.length;
  let depth = 0;
  let pos = skipWhitespace(bytes, 0);
  for (;;) {
    // A value starts at `pos`.
    const first = at(bytes, pos);
    if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
      pos = skipWhitespace(bytes, pos + 1);
      if (at(bytes, pos) === (first === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        pos += 1; // empty: a complete value
      } else {
        pushContainer(depth, first === OPEN_OBJECT ? IN_OBJECT : IN_ARRAY);
        depth += 1;
        if (first === OPEN_OBJECT) {
          pos = scanMemberName(bytes, pos);
          if (pos < 0) return false;
        }
        continue;
      }
    } else {
      pos = scanScalar(bytes, pos, first);
      if (pos < 0) return false;
    }
    // A value ended at `pos`: close containers, or go on to the next element or member.
    for (;;) {
      pos = skipWhitespace(bytes, pos);
      if (depth === 0) return pos === end;
      const inObject = containers[depth - 1] === IN_OBJECT;
      const next = at(bytes, pos);
      if (next === COMMA) {
        pos = skipWhitespace(bytes, pos + 1);
        if (inObject) {
          pos = scanMemberName(bytes, pos);
          if (pos < 0) return false;
        }
        break;
      }
      if (next !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return false;
      depth -= 1;
      pos += 1;
    }
  }
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const IN_ARRAY = 0;
const IN_OBJECT = 1;

/**
 * The byte at `index`. Past the end that is `undefined` (typed as a number, for speed: this is the inner loop of
 * ingest), which every test below rejects: each is an equality or a range `x >= a && x <= b`, false for undefined.
 */
function at(bytes: Uint8Array, index: number): number {
  return bytes[index] as number;
}

/** The open containers, innermost last; grown when a text nests deeper than any before. */
let containers = new Uint8Array(64);

function pushContainer(depth: number, kind: number): void {
  if (depth === containers.length) {
    const grown = new Uint8Array(containers.length * 2);
    grown.set(containers);
    containers = grown;
  }
  containers[depth] = kind;
}

function skipWhitespace(bytes: Uint8Array, from: number): number {
  let pos = from;
  for (;;) {
    const code = at(bytes, pos);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return pos;
    pos += 1;
  }
}

/** A member's name and its colon, from `pos` (at the name's quote) to the start of its value; -1 if malformed. */
function scanMemberName(bytes: Uint8Array, pos: number): number {
  if (at(bytes, pos) !== QUOTE) return -1;
  const afterName = scanString(bytes, pos);
  if (afterName < 0) return -1;
  const colon = skipWhitespace(bytes, afterName);
  return at(bytes, colon) === COLON ? skipWhitespace(bytes, colon + 1) : -1;
}

/** A string, number, `true`, `false` or `null` starting at `pos` (whose code is `first`): where it ends, or -1. */
function scanScalar(bytes: Uint8Array, pos: number, first: number): number {
  if (first === QUOTE) return scanString(bytes, pos);
  if (first === MINUS || (first >= ZERO && first <= NINE)) return scanNumber(bytes, pos);
  const literal = first === 0x74 ? TRUE : first === 0x66 ? FALSE : first === 0x6e ? NULL : undefined;
  if (literal === undefined) return -1;
  for (let index = 0; index < literal.length; index += 1) if (at(bytes, pos + index) !== literal[index]) return -1;
  return pos + literal.length;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** A string from its opening quote at `pos`: the position after its closing quote, or -1. */
function scanString(bytes: Uint8Array, pos: number): number {
  const end = bytes.length;
  let index = pos + 1;
  while (index < end) {
    const code = at(bytes, index);
    // The common case first: a byte of text (0x80 and up: parts of characters, taken as they are).
    if (code >= 0x20 && code !== QUOTE && code !== BACKSLASH) {
      index += 1;
      continue;
    }
    if (code === QUOTE) return index + 1;
    if (code < 0x20) return -1; // control characters must be escaped
    if (code === BACKSLASH) {
      const escaped = at(bytes, index + 1);
      if (escaped === 0x75 /* u */) {
        for (let digit = index + 2; digit < index + 6; digit += 1) if (!isHexDigit(at(bytes, digit))) return -1;
        index += 6;
        continue;
      }
      if (!SIMPLE_ESCAPES.has(escaped)) return -1;
      index += 2;
      continue;
    }
    index += 1;
  }
  return -1;
}

/** `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t`: the characters that may follow a backslash, besides `u`. */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

function isHexDigit(code: number): boolean {
  return (code >= ZERO && code <= NINE) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` from `pos`: where it ends, or -1. */
function scanNumber(bytes: Uint8Array, pos: number): number {
  let index = pos;
  if (at(bytes, index) === MINUS) index += 1;
  if (at(bytes, index) === ZERO) index += 1;
  else {
    const afterInteger = skipDigits(bytes, index);
    if (afterInteger === index) return -1;
    index = afterInteger;
  }
  if (at(bytes, index) === DOT) {
    const afterFraction = skipDigits(bytes, index + 1);
    if (afterFraction === index + 1) return -1;
    index = afterFraction;
  }
  const exponent = at(bytes, index);
  if (exponent === 0x65 || exponent === 0x45 /* e, E */) {
    index += 1;
    const sign = at(bytes, index);
    if (sign === PLUS || sign === MINUS) index += 1;
    const afterExponent = skipDigits(bytes, index);
    if (afterExponent === index) return -1;
    index = afterExponent;
  }
  return index;
}

function skipDigits(bytes: Uint8Array, from: number): number {
  let index = from;
  for (;;) {
    const code = at(bytes, index);
    if (!(code >= ZERO && code <= NINE)) return index;
    index += 1;
  }
}
