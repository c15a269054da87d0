import type { WindowMessage } from '@turbostream/contracts';
import { safeParseJSON } from '../safe-parse-json.js';

/** A message whose data is a JSON object, flattened to dotted paths. */
export interface FlatMessage {
  id: string;
  fields: ReadonlyMap<string, unknown>;
}

const NUMERIC_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A finite number, or a string that spells one (market feeds send prices as `"61234.5"`). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!NUMERIC_TEXT.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Leaf values of nested objects under dotted paths, down to `maxDepth` levels; arrays are left whole. */
export function flattenObject(
  value: Record<string, unknown>,
  maxDepth = 3,
  prefix = '',
  depth = 1,
  into = new Map<string, unknown>(),
): Map<string, unknown> {
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(child) && depth < maxDepth) flattenObject(child, maxDepth, path, depth + 1, into);
    else if (!isPlainObject(child)) into.set(path, child);
  }
  return into;
}

/** The window's messages whose data is a JSON object, in window order; anything else is ignored. */
export function flattenMessages(messages: readonly WindowMessage[], maxDepth = 3): FlatMessage[] {
  const result: FlatMessage[] = [];
  for (const message of messages) {
    const parsed = safeParseJSON(message.data);
    if (parsed.success && isPlainObject(parsed.value))
      result.push({ id: message.id, fields: flattenObject(parsed.value, maxDepth) });
  }
  return result;
}
