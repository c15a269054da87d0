import { describe, expect, it } from 'vitest';
import { isJsonText } from './json-text.js';

/** The reference: what JSON.parse accepts. */
function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The scanner's verdict on a text's UTF-8 bytes, and JSON.parse's, side by side. */
function verdicts(text: string): { text: string; scanner: boolean; parse: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  return { text, scanner: isJsonText(bytes), parse: parses(bytes.toString('utf8')) };
}

/** Expects the scanner to agree with JSON.parse on `text`, naming the text when it does not. */
function expectAgreement(text: string): void {
  const { scanner, parse } = verdicts(text);
  expect({ text, accepted: scanner }).toEqual({ text, accepted: parse });
}

/** mulberry32: the same seed gives the same texts, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Pieces JSON is made of, and pieces that break it: random sequences of them are near-JSON in every way. */
// biome-ignore format: one token list, not one token a line
const TOKENS = [
  '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', '\r', '"', '"a"', '"é\u2028😀"', '"\\n"', '"\\u00e9"', '"\\u12G4"',
  '"\\x"', '"\u0001"', '0', '-', '1', '12', '01', '-0', '.5', '1.', '1.5', 'e', 'E+', '1e5', '1E-2', '+1', 'true',
  'false', 'null', 'tru', 'nul', 'NaN', 'Infinity', '\u00a0', '\ufeff', "'a'", '/', '\\', 'x',
];

function randomJson(next: () => number, depth: number): string {
  const pick = next();
  if (depth > 3 || pick < 0.4) {
    const scalars = ['0', '-12.5e+3', '"text"', '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u20AC"', 'true', 'false', 'null', '1E9'];
    return scalars[Math.floor(next() * scalars.length)] ?? 'null';
  }
  const count = Math.floor(next() * 4);
  const space = () => [' ', '', '\n', '\t ', '\r\n'][Math.floor(next() * 5)] ?? '';
  const items = Array.from({ length: count }, (_, index) =>
    pick < 0.7
      ? `${space()}${randomJson(next, depth + 1)}${space()}`
      : `${space()}"k${index}"${space()}:${space()}${randomJson(next, depth + 1)}`,
  );
  return pick < 0.7 ? `[${items.join(',')}]` : `{${items.join(',')}}`;
}

describe('isJsonText', () => {
  it('accepts and refuses what JSON.parse accepts and refuses, case by case', () => {
    // biome-ignore format: one case list, not one case a line
    const cases = [
      '{}', '[]', ' {"a":[1,2,{"b":null}]} ', '"only a string"', '0', '-0', '-0.5e-7', 'true', ' null\n', '[[[[]]]]',
      '{"a":1,}', '[1,]', '[,1]', '{"a" 1}', '{a:1}', "{'a':1}", '{"a":1}}', '[1 2]', '01', '1.', '.5', '+1', '1e',
      '0x10', 'NaN', '"\t"', '"\\u00"', '"\\uD800"', '\ufeff{}', '\u00a0{}', '', ' ', '{"a":1} {"b":2}', '"', '"\\"',
      'nulls', 'tru', '[1]]', '{"a":{"b":[}}', '{"":""}', '[1e+5,2E-5,3e5]', '-', '--1', '1-', '[-]',
    ];
    for (const text of cases) expectAgreement(text);
  });

  it('agrees with JSON.parse on 20,000 random near-JSON texts and mutated real ones', () => {
    const next = random(14);
    for (let round = 0; round < 10_000; round += 1) {
      const length = 1 + Math.floor(next() * 12);
      const text = Array.from({ length }, () => TOKENS[Math.floor(next() * TOKENS.length)]).join('');
      expectAgreement(text);
    }
    for (let round = 0; round < 10_000; round += 1) {
      const valid = randomJson(next, 0);
      expect(verdicts(valid)).toEqual({ text: valid, scanner: true, parse: true });
      const at = Math.floor(next() * (valid.length + 1));
      const token = TOKENS[Math.floor(next() * TOKENS.length)] ?? '';
      const mutated =
        next() < 0.5 ? valid.slice(0, at) + token + valid.slice(at) : valid.slice(0, at) + valid.slice(at + 1);
      expectAgreement(mutated);
    }
  });

  it('agrees with JSON.parse on strings of every length and mix, read four bytes at a time', () => {
    // Strings are scanned a 32-bit word at a time: a quote, backslash or control character (or a character of
    // several bytes) at each place in a word, and texts that end inside one, must come out as JSON.parse says.
    // biome-ignore format: one piece list, not one piece a line
    const PIECES = [
      'a', 'b', '0', ' ', '~', '\x7f', 'é', '€', '😀', '\u2028', '"', '\\', '\\"', '\\\\', '\\n', '\\/', '\\u00e9',
      '\\u12', '\\x', '\u0001', '\u001f', '\t', '\n', '\u0000', '!', '#', '[', '\\u', '\\uD83D\\uDE00',
    ];
    const next = random(2048);
    for (let round = 0; round < 20_000; round += 1) {
      const length = Math.floor(next() * 24);
      const content = Array.from({ length }, () =>
        next() < 0.8 ? 'abcdefgh'[Math.floor(next() * 8)] : PIECES[Math.floor(next() * PIECES.length)],
      ).join('');
      const lead = ' '.repeat(Math.floor(next() * 4));
      const shapes = [`"${content}"`, `["${content}"]`, `{"${content}":1}`, `${lead}{"k":"${content}"}`, `"${content}`];
      const text = shapes[Math.floor(next() * shapes.length)] ?? '';
      expectAgreement(next() < 0.2 ? text.slice(0, Math.floor(next() * (text.length + 1))) : text);
    }
  });

  it('reads only its own bytes of a larger buffer, at any offset in it', () => {
    const texts = ['"abc', '"abcdefg', '["0123456', '{"key":"value"}', '"a\\', '12', '"\u00e9t', 'tru', '[1,2'];
    for (const text of texts) {
      const own = Buffer.from(text);
      for (let offset = 0; offset < 8; offset += 1) {
        // Around the text, bytes that would complete it: a scanner reading past its end would accept.
        const larger = Buffer.alloc(offset + own.length + 16, '"]}');
        own.copy(larger, offset);
        const slice = larger.subarray(offset, offset + own.length);
        expect({ text, offset, accepted: isJsonText(slice) }).toEqual({ text, offset, accepted: parses(text) });
        const copy = new Uint8Array(own); // an ArrayBuffer of its own, on V8's heap when small
        expect({ text, offset, accepted: isJsonText(copy) }).toEqual({ text, offset, accepted: parses(text) });
      }
    }
  });

  it('takes nesting deeper than its first stack, and a market message as it comes', () => {
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    expect(isJsonText(Buffer.from(deep))).toBe(true);
    expect(isJsonText(Buffer.from(deep.slice(0, -1)))).toBe(false);
    const depth = '{"e":"depthUpdate","E":1764102000000,"s":"BTCUSDT","b":[["61000.00","0.00150"]],"a":[]}';
    expect(isJsonText(Buffer.from(depth))).toBe(true);
  });
});
