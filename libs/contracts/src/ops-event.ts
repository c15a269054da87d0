import { z } from 'zod';

/** Operational event types published on `turbostream:events`; never disguised as alerts. */
export const OpsEventType = z.enum([
  'source.connected',
  'source.down',
  'source.gap',
  'deadletter',
  'window.failed',
  'provider.unconfigured',
  'provider.available',
  'budget.exhausted',
  'stream.targets-changed',
  'service.started',
  'service.stopped',
  'config.reloaded',
  'config.rejected',
  'config.restart-needed',
]);
export type OpsEventType = z.infer<typeof OpsEventType>;

export const OpsEvent = z.object({
  v: z.literal(1),
  type: OpsEventType,
  service: z.string(),
  streamId: z.string().optional(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  at: z.string(),
});
export type OpsEvent = z.infer<typeof OpsEvent>;
