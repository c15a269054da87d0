import { z } from 'zod';
import { Budget } from './budget.js';
import { AnalysisTarget } from './target.js';

export const WindowCloseReason = z.enum(['messages', 'bytes', 'time']);
export type WindowCloseReason = z.infer<typeof WindowCloseReason>;

export const WindowMessage = z.object({
  /** The Redis stream entry id, which alerts cite as evidence. */
  id: z.string(),
  data: z.string(),
  receivedAt: z.number().int().nonnegative(),
});
export type WindowMessage = z.infer<typeof WindowMessage>;

export const WindowGap = z.object({
  id: z.string(),
  reason: z.string(),
  downMs: z.number().int().nonnegative(),
});
export type WindowGap = z.infer<typeof WindowGap>;

/** One window of one stream: a run of consecutive stream entries. */
export const Window = z.object({
  streamId: z.string(),
  /** The id of the window's first entry; windows are derived from entry ids, so recomputing yields the same ones. */
  windowId: z.string(),
  firstEntryId: z.string(),
  lastEntryId: z.string(),
  closedBy: WindowCloseReason,
  bytes: z.number().int().nonnegative(),
  /** Epoch ms of the first and last entry (from their ids). */
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  messages: z.array(WindowMessage),
  gaps: z.array(WindowGap),
});
export type Window = z.infer<typeof Window>;

/** The BullMQ job that asks one target to analyse one window. Version 1. */
export const WindowJob = z.object({
  v: z.literal(1),
  target: AnalysisTarget,
  instructions: z.string(),
  window: Window,
  /** The stream's budget when it has one (from the streams file when the window was cut). */
  budget: Budget.optional(),
  /** Epoch ms at which the windower stored the job. */
  enqueuedAt: z.number().int().nonnegative(),
});
export type WindowJob = z.infer<typeof WindowJob>;

/** What a completed job returns (kept by BullMQ on the completed job). */
export const WindowJobResult = z.object({
  v: z.literal(1),
  analyzer: z.string(),
  alertIds: z.array(z.string()),
  published: z.number().int().nonnegative(),
  ttftMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /**
   * What the call cost in US dollars (libs/costs), `null` when the model has no price. Results stored before it
   * existed read as `null`.
   */
  costUsd: z.number().nonnegative().nullable().default(null),
});
export type WindowJobResult = z.infer<typeof WindowJobResult>;
