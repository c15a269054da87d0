import { describe, expect, it } from 'vitest';
import { rawUnsafe } from '../testing/raw-unsafe.js';
import { escapeText, renderData, utf8Length } from './render-data.js';

const CAP = 4096;

/** The JSON value of a rendered entry, without a truncation marker. */
function decoded(rendered: string): unknown {
  return JSON.parse(rendered);
}

describe('renderData', () => {
  it('keeps a JSON object or array as it is, so data costs no extra tokens', () => {
    expect(renderData('{"p":"64210.0","q":1.50}', CAP)).toEqual({
      text: '{"p":"64210.0","q":1.50}',
      truncatedBytes: 0,
    });
    expect(renderData('[1, 2, 12345678901234567890]', CAP)).toEqual({
      text: '[1, 2, 12345678901234567890]',
      truncatedBytes: 0,
    });
  });

  it('puts pretty-printed JSON on one line without changing its value', () => {
    const pretty = '{\r\n\t"a": 1,\n  "b": [\n    "x y"\n  ]\n}\n';
    const rendered = renderData(pretty, CAP);
    expect(rendered.text).toBe('{"a": 1,"b": ["x y"]}');
    expect(decoded(rendered.text)).toEqual(JSON.parse(pretty));
  });

  it('shows anything else, JSON scalars included, as a JSON string', () => {
    expect(renderData('line one\nline two', CAP).text).toBe('"line one\\nline two"');
    expect(renderData('42', CAP).text).toBe('"42"');
    expect(renderData('"hi"', CAP).text).toBe('"\\"hi\\""');
    expect(renderData('{"broken":', CAP).text).toBe('"{\\"broken\\":"');
    expect(renderData('', CAP).text).toBe('""');
  });

  it('escapes line breaks, Unicode separators, NEL, C0 and C1 controls and bidi controls, inside JSON and out', () => {
    const nasty = 'a\rb\nc\u2028d\u2029e\u0085f\u0000g\u001bh\u007fi\u009fj\u202ek\u2066l\u200fm\u061cn\tz';
    const asText = renderData(nasty, CAP).text;
    expect(asText).toBe(
      '"a\\rb\\nc\\u2028d\\u2029e\\u0085f\\u0000g\\u001bh\\u007fi\\u009fj\\u202ek\\u2066l\\u200fm\\u061cn\\tz"',
    );
    expect(decoded(asText)).toBe(nasty);

    const asJson = renderData('{"m":"x\u2028Instructions: y\u2029\u0085\u202e"}', CAP).text;
    expect(asJson).toBe('{"m":"x\\u2028Instructions: y\\u2029\\u0085\\u202e"}');
    expect(decoded(asJson)).toEqual({ m: 'x\u2028Instructions: y\u2029\u0085\u202e' });
  });

  it('never lets a line terminator or control character through', () => {
    for (let code = 0; code < 0x100; code += 1) {
      const data = `x${String.fromCharCode(code)}y`;
      for (const text of [renderData(data, CAP).text, renderData(`["${data}"]`, CAP).text]) {
        expect(rawUnsafe(text), `U+${code.toString(16)}`).toEqual([]);
      }
    }
  });

  it('escapes lone surrogates and keeps real pairs', () => {
    expect(renderData('a\ud800b😀', CAP).text).toBe('"a\\ud800b😀"');
  });

  it('escapes a < that could open or close the fence, and leaves other < alone', () => {
    expect(renderData('</stream_data>', CAP).text).toBe('"\\u003c/stream_data>"');
    expect(renderData('< / STREAM-DATA >', CAP).text).toBe('"\\u003c / STREAM-DATA >"');
    expect(renderData('{"m":"<\\/stream_data><stream_data>"}', CAP).text).toBe(
      '{"m":"\\u003c\\/stream_data>\\u003cstream_data>"}',
    );
    expect(renderData('a < b <i>', CAP).text).toBe('"a < b <i>"');
    expect(decoded(renderData('{"m":"<\\/stream_data>"}', CAP).text)).toEqual({ m: '</stream_data>' });
  });

  it('caps a message at maxBytes of rendered data and says how many bytes were left out', () => {
    const big = `{"big":"${'A'.repeat(900_000)}"}`;
    const rendered = renderData(big, CAP);
    // 4094 bytes between the quotes: `{\"big\":\"` takes 11, leaving 4083 A's; 8 + 4083 characters of the message were
    // shown.
    expect(rendered.text).toBe(`"{\\"big\\":\\"${'A'.repeat(4083)}"`);
    expect(utf8Length(rendered.text)).toBe(CAP);
    expect(rendered.truncatedBytes).toBe(big.length - 8 - 4083);
  });

  it('cuts between characters, counts UTF-8 bytes, and keeps escapes whole', () => {
    const rendered = renderData('€€€😀😀', 12);
    // 10 bytes between the quotes: three 3-byte euros fit, the 4-byte emoji does not.
    expect(rendered).toEqual({ text: '"€€€"', truncatedBytes: 8 });
    expect(renderData('ab\u2028cd', 8)).toEqual({ text: '"ab"', truncatedBytes: 5 });
  });

  it('falls back to a capped string when escaping makes JSON data too long', () => {
    const data = `["${'\u2028'.repeat(10)}"]`;
    expect(utf8Length(data)).toBeLessThanOrEqual(40);
    const rendered = renderData(data, 40);
    expect(utf8Length(rendered.text)).toBeLessThanOrEqual(40);
    expect(rendered.text.startsWith('"[\\"\\u2028')).toBe(true);
    expect(rendered.truncatedBytes).toBeGreaterThan(0);
  });
});

describe('escapeText', () => {
  it('keeps our own text on one line, fence included', () => {
    expect(escapeText('re\nconnect\u2028</stream_data>')).toBe('re\\u000aconnect\\u2028\\u003c/stream_data>');
    expect(escapeText('1764102000000-0')).toBe('1764102000000-0');
  });
});

describe('utf8Length', () => {
  it('counts UTF-8 bytes, a lone surrogate as its 3-byte replacement', () => {
    expect(utf8Length('a€😀')).toBe(1 + 3 + 4);
    expect(utf8Length('\ud800')).toBe(3);
  });
});
