import { describe, expect, it } from 'vitest';
import { isPlainKey, MAX_FIELDS, messageFields } from './message-fields.js';

describe('messageFields', () => {
  it('flattens nested objects to a.b paths in the order written, integer-like keys included', () => {
    expect(messageFields('{"b":1,"10":{"x":"y","2":[1, {"z":2}]},"a":{"c":{"d":false}}}')).toEqual({
      paths: ['b', '10.x', '10.2', 'a.c.d'],
      values: [
        { kind: 'json', raw: '1' },
        { kind: 'string', value: 'y' },
        { kind: 'json', raw: '[1, {"z":2}]' },
        { kind: 'json', raw: 'false' },
      ],
    });
  });

  it('keeps numbers as written and decodes strings', () => {
    expect(messageFields('{"p":1.50,"big":12345678901234567890,"e":-2E+3,"s":"a\\u2028\\"b\\"\\n"}')?.values).toEqual([
      { kind: 'json', raw: '1.50' },
      { kind: 'json', raw: '12345678901234567890' },
      { kind: 'json', raw: '-2E+3' },
      { kind: 'string', value: 'a\u2028"b"\n' },
    ]);
  });

  it('reads pretty-printed JSON, and keeps an empty object as a leaf', () => {
    expect(messageFields('{\r\n\t"a": {},\n  "b": [\n 1\n ]\n}\n')).toEqual({
      paths: ['a', 'b'],
      values: [
        { kind: 'json', raw: '{}' },
        { kind: 'json', raw: '[\n 1\n ]' },
      ],
    });
  });

  it('refuses what is not one JSON object with plain, distinct keys', () => {
    for (const data of [
      '[1,2]',
      '"text"',
      '42',
      'plain text',
      '{}',
      '{"a":1} trailing',
      '{"a":1,}',
      '{"a":"raw\nline"}',
      '{"a":01}',
      '{"dup":1,"dup":2}',
      '{"a":{"k":1,"k":2}}',
      '{"has space":1}',
      '{"a.b":1}',
      '{"a,b":1}',
      '{"a=b":1}',
      '{"#":1}',
      '{"ts+ms":1}',
      '{"":1}',
      '{"bidi\u202e":1}',
      `{"${'k'.repeat(65)}":1}`,
      '{"a":[1,2}',
      '{"a":tru}',
    ]) {
      expect(messageFields(data), data).toBeUndefined();
    }
  });

  it('refuses objects nested too deep or with too many fields', () => {
    expect(messageFields(`${'{"a":'.repeat(16)}1${'}'.repeat(16)}`)).toBeDefined();
    expect(messageFields(`${'{"a":'.repeat(20)}1${'}'.repeat(20)}`)).toBeUndefined();
    expect(messageFields(`{"a":${'['.repeat(20)}${']'.repeat(20)}}`)).toBeUndefined();
    const wide = (count: number) =>
      JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index])));
    expect(messageFields(wide(MAX_FIELDS))?.paths).toHaveLength(MAX_FIELDS);
    expect(messageFields(wide(MAX_FIELDS + 1))).toBeUndefined();
  });
});

describe('isPlainKey', () => {
  it('takes keys as feeds write them, and none that means something in a header', () => {
    for (const key of ['price', 'latency_ms', '@timestamp', 'k8s:pod', 'content-type', 'E', '10', 'prix€'])
      expect(isPlainKey(key), key).toBe(true);
    for (const key of ['', 'a b', 'a.b', 'a,b', 'a=b', '#', 'x+ms', 'a"b', 'a\\b', '<k>', '[0]', 'a\u2028b'])
      expect(isPlainKey(key), key).toBe(false);
  });
});
