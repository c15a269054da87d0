import { z } from 'zod';

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** One alert as the model must phrase it. */
export const ModelAlert = z.object({
  severity: Severity,
  title: z.string().min(1).max(200),
  summary: z.string().max(4000),
  evidence: z.array(z.string()).max(50),
});
export type ModelAlert = z.infer<typeof ModelAlert>;

/** The whole answer a model must give; an empty list means "nothing worth an alert". */
export const ModelAnswer = z.object({ alerts: z.array(ModelAlert).max(20) });
export type ModelAnswer = z.infer<typeof ModelAnswer>;

/** JSON Schema of {@link ModelAnswer}, for providers' native structured output modes (strict-mode compatible). */
export const MODEL_ANSWER_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['alerts'],
  properties: {
    alerts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['severity', 'title', 'summary', 'evidence'],
        properties: {
          severity: { type: 'string', enum: ['info', 'warning', 'critical'] },
          title: { type: 'string', description: 'One line, under 100 characters.' },
          summary: { type: 'string', description: 'What happened, with the figures that show it.' },
          evidence: { type: 'array', items: { type: 'string' }, description: 'Ids of the messages that show it.' },
        },
      },
    },
  },
} as const;

/** The published alert, schema version 1 (design.md). */
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
  timings: z.object({ queuedMs: z.number().nonnegative(), ttftMs: z.number().nonnegative(), totalMs: z.number().nonnegative() }),
  usage: z.object({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative().nullable(),
  }),
  createdAt: z.string(),
});
export type Alert = z.infer<typeof Alert>;
