import { describe, expect, it } from 'vitest';
import { MODEL_ANSWER_JSON_SCHEMA } from './alert.js';

/** Every schema node of a JSON Schema, with its path. */
function* nodes(schema: Record<string, unknown>, path = '$'): Generator<[string, Record<string, unknown>]> {
  yield [path, schema];
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>))
    yield* nodes(child, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items as Record<string, unknown>, `${path}[]`);
}

describe('MODEL_ANSWER_JSON_SCHEMA', () => {
  it(
    'is in OpenAI strict form: every property required, no other properties, only keywords every provider ' + 'accepts',
    () => {
      const portable = ['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'description'];
      for (const [path, node] of nodes(MODEL_ANSWER_JSON_SCHEMA)) {
        for (const keyword of Object.keys(node)) expect(portable, `${path}: ${keyword}`).toContain(keyword);
        if (node.type !== 'object') continue;
        expect(node.additionalProperties, path).toBe(false);
        expect(node.required, path).toEqual(Object.keys(node.properties as object));
      }
    },
  );

  it('is generated from the zod schema: the answer fields and severities', () => {
    const item = (
      MODEL_ANSWER_JSON_SCHEMA.properties.alerts as { items: { properties: Record<string, { enum?: string[] }> } }
    ).items;
    expect(Object.keys(item.properties)).toEqual(['severity', 'title', 'summary', 'evidence']);
    expect(item.properties.severity?.enum).toEqual(['info', 'warning', 'critical']);
  });
});
