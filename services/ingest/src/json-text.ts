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
 *
 * It is one function of plain loops over the bytes, since it is the inner loop of ingest (`bench/json-check.mjs`
 * measures it): no call per byte or token, every read within the bytes (a read past the end, `undefined`, made
 * V8's comparisons generic and cost several times over), and the bytes of a string, most of a message, taken four
 * at a time as one 32-bit word until a quote, a backslash or a control character. A position at or past the end
 * reads as `END` (0, a control character), which every test rejects as a real 0 byte would be: where a text may end
 * is decided by the position alone.
 */
export function isJsonText(bytes: Uint8Array): boolean {
  const end = bytes.length;
  let stack: Uint8Array = containers;
  if (bytes.buffer !== wordsBuffer) {
    wordsBuffer = bytes.buffer;
    wordsView = new DataView(wordsBuffer);
  }
  const words = wordsView;
  const base = bytes.byteOffset;
  let depth = 0;
  /** Whether the innermost open container is an object (false at depth 0 too). */
  let inObject = false;
  /** Whether the value starting at `pos` must be a member's name (a string, then a colon). */
  let name = false;
  let pos = 0;
  let code = 0;
  value: for (;;) {
    // A value (or a member's name) starts at `pos`, after any whitespace.
    code = pos < end ? (bytes[pos] as number) : END;
    while (code <= 0x20 && (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09)) {
      pos += 1;
      code = pos < end ? (bytes[pos] as number) : END;
    }
    if (code === QUOTE) {
      pos += 1;
      for (;;) {
        // The common case: bytes of text (0x80 and up: parts of characters, taken as they are), four at a time while
        // none of the four is a quote, a backslash or a control character (SWAR: each test sets the top bit of a
        // byte's lane when some byte matches, and is exact about whether any does), then one at a time.
        while (pos + 4 <= end) {
          const word = words.getInt32(base + pos, true);
          const quotes = word ^ 0x22222222;
          const backslashes = word ^ 0x5c5c5c5c;
          const below20 = (word - 0x20202020) & ~word;
          const quote = (quotes - 0x01010101) & ~quotes;
          const backslash = (backslashes - 0x01010101) & ~backslashes;
          if (((below20 | quote | backslash) & 0x80808080) !== 0) break;
          pos += 4;
        }
        while (pos < end) {
          code = bytes[pos] as number;
          if (code < 0x20 || code === QUOTE || code === BACKSLASH) break;
          pos += 1;
        }
        if (pos >= end) return false; // no closing quote
        if (code === QUOTE) break;
        if (code !== BACKSLASH) return false; // control characters must be escaped
        const escaped = pos + 1 < end ? (bytes[pos + 1] as number) : END;
        if (escaped === 0x75 /* u */) {
          if (pos + 5 >= end) return false;
          const hex =
            (HEX[bytes[pos + 2] as number] as number) &
            (HEX[bytes[pos + 3] as number] as number) &
            (HEX[bytes[pos + 4] as number] as number) &
            (HEX[bytes[pos + 5] as number] as number);
          if (hex === 0) return false;
          pos += 6;
        } else if (ESCAPES[escaped] === 1) {
          pos += 2;
        } else {
          return false;
        }
      }
      pos += 1; // the closing quote
      if (name) {
        name = false;
        code = pos < end ? (bytes[pos] as number) : END;
        while (code <= 0x20 && (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09)) {
          pos += 1;
          code = pos < end ? (bytes[pos] as number) : END;
        }
        if (code !== COLON) return false;
        pos += 1;
        continue;
      }
    } else if (name) {
      return false;
    } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      const object = code === OPEN_OBJECT;
      pos += 1;
      code = pos < end ? (bytes[pos] as number) : END;
      while (code <= 0x20 && (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09)) {
        pos += 1;
        code = pos < end ? (bytes[pos] as number) : END;
      }
      if (code === (object ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        pos += 1; // empty: a complete value
      } else {
        if (depth === stack.length) stack = growContainers();
        stack[depth] = object ? IN_OBJECT : IN_ARRAY;
        depth += 1;
        inObject = object;
        name = object;
        continue;
      }
    } else if (code === MINUS || (code >= ZERO && code <= NINE)) {
      // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
      if (code === MINUS) {
        pos += 1;
        code = pos < end ? (bytes[pos] as number) : END;
      }
      if (code === ZERO) {
        pos += 1;
        code = pos < end ? (bytes[pos] as number) : END;
      } else {
        if (!(code >= ZERO && code <= NINE)) return false;
        do {
          pos += 1;
          code = pos < end ? (bytes[pos] as number) : END;
        } while (code >= ZERO && code <= NINE);
      }
      if (code === DOT) {
        pos += 1;
        code = pos < end ? (bytes[pos] as number) : END;
        if (!(code >= ZERO && code <= NINE)) return false;
        do {
          pos += 1;
          code = pos < end ? (bytes[pos] as number) : END;
        } while (code >= ZERO && code <= NINE);
      }
      if (code === 0x65 || code === 0x45 /* e, E */) {
        pos += 1;
        code = pos < end ? (bytes[pos] as number) : END;
        if (code === PLUS || code === MINUS) {
          pos += 1;
          code = pos < end ? (bytes[pos] as number) : END;
        }
        if (!(code >= ZERO && code <= NINE)) return false;
        do {
          pos += 1;
          code = pos < end ? (bytes[pos] as number) : END;
        } while (code >= ZERO && code <= NINE);
      }
    } else if (code === 0x74 /* t */ || code === 0x66 /* f */ || code === 0x6e /* n */) {
      const literal = code === 0x74 ? TRUE : code === 0x66 ? FALSE : NULL;
      if (pos + literal.length > end) return false;
      for (let index = 1; index < literal.length; index += 1) {
        if (bytes[pos + index] !== literal[index]) return false;
      }
      pos += literal.length;
    } else {
      return false;
    }
    // A value ended at `pos`: close containers, or go on to the next element or member.
    for (;;) {
      code = pos < end ? (bytes[pos] as number) : END;
      while (code <= 0x20 && (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09)) {
        pos += 1;
        code = pos < end ? (bytes[pos] as number) : END;
      }
      if (depth === 0) return pos === end;
      if (code === COMMA) {
        pos += 1;
        name = inObject;
        continue value;
      }
      if (code !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return false;
      pos += 1;
      depth -= 1;
      inObject = depth > 0 && stack[depth - 1] === IN_OBJECT;
    }
  }
}

/** What a position at or past the end reads as: 0, a control character, refused wherever a byte is tested. */
const END = 0;
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
/** The bytes of the literal names. */
const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');
const IN_ARRAY = 0;
const IN_OBJECT = 1;

/** 1 for the bytes of hexadecimal digits (`0-9`, `A-F`, `a-f`), 0 for every other byte. */
const HEX = new Uint8Array(256);
for (const [from, to] of [
  [0x30, 0x39],
  [0x41, 0x46],
  [0x61, 0x66],
] as const) {
  for (let code = from; code <= to; code += 1) HEX[code] = 1;
}

/** 1 for `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t`: the characters that may follow a backslash, besides `u`. */
const ESCAPES = new Uint8Array(256);
for (const code of [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]) ESCAPES[code] = 1;

/**
 * A view of the last text's ArrayBuffer, for reading its strings four bytes at a time; made again only when a text
 * comes in another ArrayBuffer (a Buffer is often a slice of a shared one), so a check allocates nothing most times.
 * It keeps that one ArrayBuffer from being collected until the next check.
 */
let wordsBuffer: ArrayBufferLike = new ArrayBuffer(0);
let wordsView: DataView = new DataView(wordsBuffer);

/** The open containers, innermost last; grown when a text nests deeper than any before. */
let containers = new Uint8Array(64);

function growContainers(): Uint8Array {
  const grown = new Uint8Array(containers.length * 2);
  grown.set(containers);
  containers = grown;
  return grown;
}
