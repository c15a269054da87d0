/**
 * The one table of TurboStream's metrics: name, type, help, labels (and buckets). Everything else — the registry,
 * the README's table check, the dashboard check — is derived from it.
 *
 * Labels hold bounded values only: stream ids, provider ids, model names, reasons, severities, outcomes, states and
 * budget scopes. Never a window id, a job id, an entry id or an alert id.
 */

/** OpenTelemetry's advice for `gen_ai.client.operation.duration` (seconds): 10 ms doubling up to 81.92 s. */
export const GEN_AI_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** OpenTelemetry's advice for `gen_ai.client.token.usage`: powers of 4 from 1 to 4^13. */
export const GEN_AI_TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** The OpenTelemetry GenAI attributes in Prometheus form, on every LLM metric. */
const GEN_AI_CALL = ['gen_ai_provider_name', 'gen_ai_request_model'] as const;

export interface MetricSpec {
  type: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
  /** The services that export it (documentation, and the scrape test's expectations). */
  services: readonly ('ingest' | 'windower' | 'analyzer')[];
  /** Read at scrape time (a gauge whose sources register with `TurboMetrics.onCollect`). */
  collected?: true;
}

export const METRICS = {
  // ingest, per stream
  messagesIn: {
    type: 'counter',
    name: 'turbostream_ingest_messages_total',
    help: 'Messages stored in the stream (Redis confirmed the write)',
    labels: ['stream'],
    services: ['ingest'],
  },
  bytesIn: {
    type: 'counter',
    name: 'turbostream_ingest_bytes_total',
    help: 'Bytes (UTF-8) of the messages stored in the stream',
    labels: ['stream'],
    services: ['ingest'],
  },
  deadLetters: {
    type: 'counter',
    name: 'turbostream_dead_letters_total',
    help: 'Frames, stream entries and jobs kept aside in the dead-letter stream, by reason',
    labels: ['stream', 'reason'],
    services: ['ingest', 'windower', 'analyzer'],
  },
  sourceUp: {
    type: 'gauge',
    name: 'turbostream_source_up',
    help: '1 while the WebSocket of the stream is open, 0 otherwise',
    labels: ['stream'],
    services: ['ingest'],
    collected: true,
  },
  reconnects: {
    type: 'counter',
    name: 'turbostream_source_reconnects_total',
    help: 'Connections to the source after the first one',
    labels: ['stream'],
    services: ['ingest'],
  },
  gaps: {
    type: 'counter',
    name: 'turbostream_ingest_gaps_total',
    help: 'Gap entries written (messages may be missing): after a reconnect, or after a restart of ingest',
    labels: ['stream', 'cause'],
    services: ['ingest'],
  },
  // windower
  windowsSealed: {
    type: 'counter',
    name: 'turbostream_windower_windows_sealed_total',
    help: 'Windows sealed and turned into analysis jobs',
    labels: ['stream'],
    services: ['windower'],
  },
  lagEntries: {
    type: 'gauge',
    name: 'turbostream_windower_lag_entries',
    help: 'Stream entries after the last sealed window (the open window included), by the windower owning the stream',
    labels: ['stream'],
    services: ['windower'],
    collected: true,
  },
  lagSeconds: {
    type: 'gauge',
    name: 'turbostream_windower_lag_seconds',
    help: 'Time from the end of the last sealed window to the last entry of the stream, by entry ids',
    labels: ['stream'],
    services: ['windower'],
    collected: true,
  },
  queueJobs: {
    type: 'gauge',
    name: 'turbostream_queue_jobs',
    help: 'Jobs in the analysis queue of a provider, by state (the same value from every windower: aggregate with max)',
    labels: ['provider', 'state'],
    services: ['windower'],
    collected: true,
  },
  // analyzer
  analyses: {
    type: 'counter',
    name: 'turbostream_analyses_total',
    help: 'Analysis job outcomes: completed, retried, failed (for good), rate-limited, budget-wait, cancelled',
    labels: ['stream', 'provider', 'model', 'outcome'],
    services: ['analyzer'],
  },
  alerts: {
    type: 'counter',
    name: 'turbostream_alerts_total',
    help: 'Alerts published (each alert id once), by severity',
    labels: ['stream', 'provider', 'model', 'severity'],
    services: ['analyzer'],
  },
  llmDuration: {
    type: 'histogram',
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'GenAI operation duration: one model call, from the request to the end of the answer (or the failure)',
    labels: [...GEN_AI_CALL, 'gen_ai_operation_name', 'error_type'],
    buckets: GEN_AI_DURATION_BUCKETS,
    services: ['analyzer'],
  },
  llmTokenUsage: {
    type: 'histogram',
    name: 'gen_ai_client_token_usage',
    help: 'Tokens used per model call, input (cached included) or output',
    labels: [...GEN_AI_CALL, 'gen_ai_operation_name', 'gen_ai_token_type'],
    buckets: GEN_AI_TOKEN_BUCKETS,
    services: ['analyzer'],
  },
  llmTimeToFirstToken: {
    type: 'histogram',
    name: 'turbostream_llm_time_to_first_token_seconds',
    help: 'Time from the request to the first token of the answer, per successful model call',
    labels: [...GEN_AI_CALL],
    buckets: GEN_AI_DURATION_BUCKETS,
    services: ['analyzer'],
  },
  llmTokens: {
    type: 'counter',
    name: 'turbostream_llm_tokens_total',
    help: 'Tokens of model calls by type: input (all), output, cached_input and cache_write_input (parts of input)',
    labels: [...GEN_AI_CALL, 'gen_ai_token_type'],
    services: ['analyzer'],
  },
  llmCost: {
    type: 'counter',
    name: 'turbostream_llm_cost_dollars_total',
    help: 'What model calls cost in US dollars, from the price table (calls of unpriced models not counted)',
    labels: [...GEN_AI_CALL],
    services: ['analyzer'],
  },
  budgetDollarsLeft: {
    type: 'gauge',
    name: 'turbostream_budget_remaining_dollars',
    help: 'US dollars left today (UTC) of a budget with usdPerDay, per scope (stream:<id> or provider:<id>)',
    labels: ['scope'],
    services: ['windower', 'analyzer'],
    collected: true,
  },
  budgetTokensLeft: {
    type: 'gauge',
    name: 'turbostream_budget_remaining_tokens',
    help: 'Tokens left this minute of a budget with tokensPerMinute, per scope (stream:<id> or provider:<id>)',
    labels: ['scope'],
    services: ['windower', 'analyzer'],
    collected: true,
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** The label names of a metric of the table. */
export type LabelsOf<K extends MetricKey> = (typeof METRICS)[K]['labels'][number];

/** Every metric name of the table, as exported (a histogram also exports `_bucket`, `_sum` and `_count`). */
export const METRIC_NAMES: readonly string[] = Object.values(METRICS).map((spec) => spec.name);

/** Counts a collector that failed or timed out at scrape time, by metric. */
export const COLLECT_ERRORS = {
  name: 'turbostream_metrics_collect_errors_total',
  help: 'Scrape-time reads that failed or took longer than the scrape allows (the gauge kept out of that scrape)',
  labels: ['metric'],
} as const;
