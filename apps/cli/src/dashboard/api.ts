/**
 * What the dashboard's server sends its page: the JSON of its server-sent events and of `/api/evidence`. Types only,
 * compiled into both the server (which checks what it sends against them) and the page (web/, which reads them), so
 * that neither can drift from the other. Every field is display data: no configuration, no secret.
 */

import type { Agreement, Percentiles, TargetScore } from '../report/figures.js';

export type DashboardSeverity = 'info' | 'warning' | 'critical';

/** An alert as published (contracts' `Alert`, schema version 1). */
export interface DashboardAlert {
  v: 1;
  id: string;
  streamId: string;
  windowId: string;
  severity: DashboardSeverity;
  title: string;
  summary: string;
  /** The Redis stream entry ids the alert cites. */
  evidence: string[];
  provider: string;
  model: string;
  window: { messages: number; from: string; to: string };
  timings: { queuedMs: number; ttftMs: number; totalMs: number };
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
  createdAt: string;
}

/** An operational event of `<namespace>:events`, its message's URL credentials masked and its details left out. */
export interface DashboardEvent {
  type: string;
  service: string;
  streamId?: string;
  message: string;
  at: string;
}

export interface DashboardTarget {
  provider: string;
  model: string;
  /** The share of windows it analyses (1: every window). */
  sample: number;
}

/** A MISSING or BUDGET state, worded as `turbostream streams` words it. */
export interface DashboardAlarm {
  kind: 'MISSING' | 'BUDGET';
  text: string;
}

/** One stream, as `turbostream streams` shows it. */
export interface DashboardStream {
  id: string;
  /** The source URL with its password and query masked. */
  url: string;
  /** `provider/model, provider/model@0.1` */
  targetsText: string;
  /** The stream's own target first, then its comparison targets (for switching and comparing models). */
  targets: DashboardTarget[];
  /** `from the streams file`, or who set the targets while running, and when. */
  origin: string;
  windower: { owner: string; checkpoint: string | null; backpressured: boolean; updatedAt: string } | null;
  /** `12 entries, 3.4 s`: how far windowing is behind the stream's end. */
  lag: string;
  /** `up since …` or `DOWN since … (reason)` as ingest last recorded it; null before ingest ever did. */
  source: string | null;
  alarms: DashboardAlarm[];
  /** What the stream's budget has spent (`$0.0123 of $5 today (UTC)`); '' without a budget. */
  budget: string;
  providers: {
    provider: string;
    analyzers: number;
    jobs: { waiting: number; active: number; delayed: number; failed: number; completed: number };
    budget: string;
  }[];
}

export interface DashboardStreams {
  /** When the server read them (ISO). */
  at: string;
  /** True when there is no streams file (`turbostream up` then watches its built-in demo feed). */
  noStreamsFile: boolean;
  streams: DashboardStream[];
}

// The report's figures as `turbostream report` computes them, one definition for both (report/figures.ts).
export type DashboardPercentiles = Percentiles;
/** A target's figures over the period. */
export type DashboardTargetScore = TargetScore;
/** How two targets of a stream agree on the windows both analysed (for the compare view). */
export type DashboardAgreement = Agreement;

export interface DashboardAnalyzer {
  instanceId: string;
  providers: string[];
  concurrency: number;
  startedAt: string;
  /** Milliseconds since its last heartbeat, and whether that is within the liveness TTL. */
  lastSeenMsAgo: number;
  live: boolean;
}

export interface DashboardProviders {
  /** The period (`1h`) and its bounds, by Redis's clock. */
  since: string;
  from: string;
  to: string;
  /** Records read; true when the capped log no longer holds the period's start. */
  records: number;
  trimmed: boolean;
  streams: { streamId: string; targets: DashboardTargetScore[]; agreement: DashboardAgreement[] }[];
  analyzers: DashboardAnalyzer[];
  /** Streams with more than one target: their latest windows, side by side (the compare view). */
  compare: DashboardCompareStream[];
  /** Messages per minute of each stream over the last `rateMinutes` minutes, oldest first (the sparklines). */
  rates: Record<string, number[]>;
  rateMinutes: number;
}

/** What one target made of one window. */
export interface DashboardCompareCell {
  target: string;
  outcome: 'completed' | 'failed' | 'rate-limited';
  alerts: number;
  /** The worst severity of its alerts; null without one. */
  severity: DashboardSeverity | null;
}

export interface DashboardCompareStream {
  streamId: string;
  /** Its own target first, then its comparison targets (and any other target recorded in the period). */
  targets: string[];
  /** The latest windows, newest first; a target without a cell did not analyse the window (sampled out, or not yet). */
  windows: { windowId: string; at: string; cells: DashboardCompareCell[] }[];
}

/** Sent first on every connection. */
export interface DashboardHello {
  namespace: string;
  /** Whether the page may make changes (switch targets, ask): only with DASHBOARD_TOKEN; `reason` says why not. */
  changes: { enabled: boolean; reason: string };
  /** Alerts of the durable log, oldest first (the page merges them with live ones by id). */
  alerts: DashboardAlert[];
  /** The latest operational events, oldest first. */
  events: DashboardEvent[];
}

/** The server-sent events of `/api/events`, by event name. */
export interface DashboardServerEvents {
  hello: DashboardHello;
  alert: DashboardAlert;
  event: DashboardEvent;
  streams: DashboardStreams;
  providers: DashboardProviders;
}

/** One entry an alert cites, read back from its stream's Redis stream. */
export interface DashboardEvidenceEntry {
  id: string;
  /** False when the stream no longer holds it (trimmed after the retention time, or never there). */
  found: boolean;
  kind?: 'message' | 'gap';
  /** When ingest received it (epoch ms). */
  receivedAt?: number;
  /** The message as the source sent it (text), for `kind: 'message'`. */
  data?: string;
  /** Why data may be missing around it, for `kind: 'gap'`. */
  reason?: string;
}

/** `/api/evidence?stream=ID&ids=A,B`. */
export interface DashboardEvidence {
  streamId: string;
  entries: DashboardEvidenceEntry[];
}

/** The header the page sends with every change (POST): a page of another site cannot send it (auth.ts). */
export const CHANGE_HEADER = 'X-TurboStream-Request';

/** `POST /api/streams/targets`: what `turbostream streams set <stream> …` takes. */
export interface DashboardSetTargetsRequest {
  stream: string;
  provider?: string;
  model?: string;
  /** `P`, `P/M` or `P/M@0.1`; none (with `noCompare` false) keeps the current ones. */
  compare?: string[];
  noCompare?: boolean;
  reset?: boolean;
}

/** Its answer (200): what `streams set` prints; or `{ error }` (400) with the text `streams set` would print. */
export interface DashboardSetTargetsReply {
  message: string;
  warnings: string[];
  targetsText: string;
}

export interface DashboardErrorReply {
  error: string;
  /** An AskError's code (`unknown-stream`, `unconfigured`, …), for `POST /api/ask`. */
  code?: string;
}

/** `POST /api/ask`: what `turbostream ask <stream> "question" [--provider P] [--model M]` takes. */
export interface DashboardAskRequest {
  stream: string;
  question: string;
  provider?: string;
  model?: string;
}

/**
 * The events of `POST /api/ask`'s answer (text/event-stream), by name, once the question could be asked (else a 400
 * with `{ error, code }`, the AskError's): `context`, the answer's `token`s as the model writes them (model text:
 * shown as text), then `done`, or `error` when the call failed. `text` is worded as `turbostream ask` words it.
 */
export interface DashboardAskEvents {
  context: { provider: string; model: string; messages: number; gaps: number; text: string };
  token: { text: string };
  done: {
    ttftMs: number;
    totalMs: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number | null;
    finishReason: string;
    text: string;
  };
  error: { error: string };
}

/** The longest question the dashboard takes. */
export const ASK_QUESTION_MAX = 2000;

/** The dashboard's limits, shared by the server (which enforces them) and the page. */
export const DASHBOARD_LIMITS = {
  /** Alerts of the log sent on connection, and kept by the page. */
  recentAlerts: 500,
  /** Operational events sent on connection. */
  recentEvents: 50,
  /** Entry ids one evidence request may name (an alert cites at most 50). */
  evidenceIds: 50,
} as const;
