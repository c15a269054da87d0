import { z } from 'zod';

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** The limits of a model's answer: the zod schema enforces them, the JSON schema and the prompt state them. */
export const MODEL_ANSWER_LIMITS = { alerts: 20, titleChars: 200, summaryChars: 4000, evidenceIds: 50 } as const;
const limits = MODEL_ANSWER_LIMITS;

/** One alert as the model must phrase it. */
export const ModelAlert = z.object({
  severity: Severity,
  title: z.string().min(1).max(limits.titleChars).describe(`One line, at most ${limits.titleChars} characters.`),
  summary: z
    .string()
    .max(limits.summaryChars)
    .describe(`What happened, with the figures that show it; at most ${limits.summaryChars} characters.`),
  evidence: z
    .array(z.string())
    .max(limits.evidenceIds)
    .describe(`The # (ref) of the rows that show it, as strings; at most ${limits.evidenceIds}.`),
});
export type ModelAlert = z.infer<typeof ModelAlert>;

/** The whole answer a model must give; an empty list means "nothing worth an alert". */
export const ModelAnswer = z.object({
  alerts: z
    .array(ModelAlert)
    .max(limits.alerts)
    .describe(`At most ${limits.alerts} alerts; none when nothing is worth one.`),
});
export type ModelAnswer = z.infer<typeof ModelAnswer>;

/**
 * The keywords every provider's structured output accepts (OpenAI strict mode is the narrowest); limits live in
 * descriptions.
 */
const PORTABLE_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'description',
]);

/**
 * JSON Schema of {@link ModelAnswer}, generated from it, for providers' native structured
 * output modes in OpenAI strict form: every property required, no other properties, and
 * no keyword outside {@link PORTABLE_KEYWORDS}.
 */
export const MODEL_ANSWER_JSON_SCHEMA = strictJsonSchema(
  z.toJSONSchema(ModelAnswer, { io: 'output', unrepresentable: 'throw' }),
) as {
  type: 'object';
  properties: Record<string, unknown>;
  required: string[];
  additionalProperties: false;
};

function strictJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const kept = Object.entries(node).filter(([keyword]) => PORTABLE_KEYWORDS.has(keyword));
  const schema = Object.fromEntries(
    kept.map(([keyword, value]) => [
      keyword,
      keyword === 'properties' ? mapValues(value, strictJsonSchema) : strictJsonSchema(value),
    ]),
  );
  return schema.type === 'object'
    ? { ...schema, required: Object.keys(schema.properties ?? {}), additionalProperties: false }
    : schema;
}

function mapValues(record: unknown, map: (value: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record ?? {}).map(([name, value]) => [name, map(value)]));
}

/** The published alert, schema version 1: the format README.md ("Subscribing to alerts") documents. */
export const Alert = z.object({
  v: z.literal(1),
  id: z.string(),
  streamId: z.string(),
  windowId: z.string(),
  severity: Severity,
  title: z.string(),
  summary: z.string(),
  evidence: z.array(z.string()),
  provider: z.string(),
  model: z.string(),
  window: z.object({ messages: z.number().int().nonnegative(), from: z.string(), to: z.string() }),
  timings: z.object({
    queuedMs: z.number().nonnegative(),
    ttftMs: z.number().nonnegative(),
    totalMs: z.number().nonnegative(),
  }),
  usage: z.object({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative().nullable(),
  }),
  createdAt: z.string(),
});
export type Alert = z.infer<typeof Alert>;
