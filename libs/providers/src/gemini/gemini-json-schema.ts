/** A JSON Schema object, as plain data. */
export type JsonSchemaObject = { readonly [keyword: string]: unknown };

/**
 * The JSON Schema keywords `responseJsonSchema` documents as supported
 * (@google/genai `GenerateContentConfig.responseJsonSchema`). Unlike the older
 * OpenAPI-subset `responseSchema`, it accepts `additionalProperties`.
 */
const SUPPORTED_KEYWORDS = new Set([
  '$id',
  '$defs',
  '$ref',
  '$anchor',
  'type',
  'format',
  'title',
  'description',
  'enum',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  'oneOf',
  'properties',
  'additionalProperties',
  'required',
  'propertyOrdering',
]);

/** Keywords whose value is one schema. */
const SCHEMA_VALUED = new Set(['items', 'additionalProperties']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_VALUED = new Set(['prefixItems', 'anyOf', 'oneOf']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_VALUED = new Set(['properties', '$defs']);

function isObject(value: unknown): value is JsonSchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function convert(value: unknown): unknown {
  return isObject(value) ? toGeminiJsonSchema(value) : value;
}

/**
 * Converts a JSON Schema into what Gemini's `responseJsonSchema` accepts:
 * keeps the documented keywords (at every level: properties, items, anyOf…)
 * and drops the others (`$schema`, `pattern`, `strict`…), so a schema written
 * for another provider never turns into a 400 INVALID_ARGUMENT. Pure.
 */
export function toGeminiJsonSchema(schema: JsonSchemaObject): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (!SUPPORTED_KEYWORDS.has(keyword)) continue;
    if (SCHEMA_VALUED.has(keyword)) result[keyword] = convert(value);
    else if (SCHEMA_LIST_VALUED.has(keyword) && Array.isArray(value)) result[keyword] = value.map(convert);
    else if (SCHEMA_MAP_VALUED.has(keyword) && isObject(value)) {
      result[keyword] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, convert(child)]));
    } else result[keyword] = Array.isArray(value) ? [...value] : value;
  }
  return result;
}
