import { Budget, SampleRate, STREAM_ID_PATTERN } from '@turbostream/contracts';
import { z } from 'zod';

const wsUrl = z
  .string({ error: 'expected a ws:// or wss:// URL' })
  .refine((value) => /^wss?:\/\//.test(value) && URL.canParse(value), { error: 'expected a ws:// or wss:// URL' });

/** A subscribe message is sent as is; a YAML mapping is sent as its JSON. */
const subscribeMessage = z.union(
  [z.string(), z.record(z.string(), z.unknown()).transform((value) => JSON.stringify(value))],
  {
    error: 'expected a string (sent as is) or a mapping (sent as JSON)',
  },
);

const positiveInt = (what: string, fallback: number, max: number) =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .positive({ error: `expected ${what} above 0` })
    .max(max, { error: `expected ${what} of at most ${max}` })
    .default(fallback);

const providerName = z.string({ error: 'expected a provider id' }).min(1);

export const StreamTargetSchema = z.strictObject({
  provider: providerName,
  model: z.string({ error: 'expected a model name' }).min(1).optional(),
});

/**
 * A comparison target: a target with the share of windows it analyses (`sample`, 1: every window), so comparing need
 * not double the bill. Which windows is decided from the window id and the target (contracts' `sampledIn`).
 */
export const CompareTargetSchema = StreamTargetSchema.extend({
  sample: SampleRate.default(1),
});

export const StreamSchema = z.strictObject({
  id: z
    .string({ error: 'expected a stream id' })
    .regex(STREAM_ID_PATTERN, { error: 'expected 1-64 characters of a-z, 0-9, _ or -' }),
  source: z.strictObject({
    url: wsUrl,
    subscribe: z.array(subscribeMessage, { error: 'expected a list of messages' }).default([]),
    headers: z
      .record(z.string(), z.string({ error: 'expected a string header value' }), {
        error: 'expected a mapping of header names to values',
      })
      .default({}),
    format: z.enum(['json', 'text'], { error: 'expected json or text' }).default('json'),
  }),
  window: z
    .strictObject({
      maxMessages: positiveInt('a message count', 200, 100_000),
      maxBytes: positiveInt('a size in bytes', 262_144, 64 * 1024 * 1024),
      maxSeconds: z
        .number({ error: 'expected a number of seconds' })
        .positive({ error: 'expected a number of seconds above 0' })
        .max(86_400, { error: 'expected at most 86400 seconds' })
        .default(10),
    })
    .prefault({}),
  analysis: z
    .strictObject({
      provider: providerName.optional(),
      model: z.string({ error: 'expected a model name' }).min(1).optional(),
      instructions: z
        .string({ error: 'expected text' })
        .default('Alert on anything unusual: outliers, sudden changes, errors.'),
    })
    .prefault({}),
  compare: z.array(CompareTargetSchema, { error: 'expected a list of { provider, model, sample }' }).default([]),
  /** What the stream's windows may spend, over all its targets (compare targets included). */
  budget: Budget.optional(),
});
export type StreamInput = z.infer<typeof StreamSchema>;

export const StreamsFileSchema = z.strictObject({
  streams: z
    .array(StreamSchema, { error: 'expected a list of streams' })
    .min(1, { error: 'expected at least one stream' }),
});
