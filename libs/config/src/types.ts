import type { AnalysisTarget, ProviderId } from '@turbostream/contracts';

/** Where a configuration value came from, so problems can name it. */
export type ConfigSource = 'env.local' | 'environment' | 'streams.yaml' | 'default';

/** One problem found while loading the configuration. */
export interface ConfigProblem {
  /** The file or `environment` (e.g. `env.local`, `streams.yaml`, `environment`). */
  source: string;
  /** The variable or field path (e.g. `OPENAI_BASE_URL`, `streams[0].window.maxMessages`). */
  field: string;
  /** What is expected, and what was found. */
  message: string;
}

export interface SourceConfig {
  url: string;
  /** Sent after every (re)connect. */
  subscribe: string[];
  headers: Record<string, string>;
  /** `json`: frames that are not JSON go to the dead-letter stream; `text`: any UTF-8 text is a message. */
  format: 'json' | 'text';
}

export interface WindowLimits {
  maxMessages: number;
  maxBytes: number;
  maxSeconds: number;
}

export interface StreamConfig {
  id: string;
  source: SourceConfig;
  window: WindowLimits;
  /** The stream's own target followed by its comparison targets; never empty. */
  targets: AnalysisTarget[];
  instructions: string;
}

export interface ProviderSettings {
  id: ProviderId;
  /** True when every required variable is set. */
  configured: boolean;
  /** Required variables that are not set. */
  missing: string[];
  apiKey?: string;
  baseURL?: string;
  /** `<PROVIDER>_MODEL` (Azure: the deployment), the model for streams that name none. */
  model?: string;
  /** Azure only. */
  apiVersion?: string;
}

export interface LlmSettings {
  maxTokens: number;
  temperature: number;
  timeoutMs: number;
}

export interface IngestSettings {
  /** Frames larger than this go to the dead-letter stream. */
  maxFrameBytes: number;
  /** Messages held in memory per source before the socket is paused. */
  maxBufferedMessages: number;
  /** Messages per pipelined XADD batch. */
  batchSize: number;
  pingIntervalMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

export interface WindowerSettings {
  pollMs: number;
  leaseMs: number;
  /** Windows waiting in a provider's queue above which the windower stops enqueueing (backpressure). */
  maxQueued: number;
  /** Windowed entries are kept this long in the source stream before being trimmed. */
  retentionMs: number;
}

export interface AnalyzerSettings {
  concurrency: number;
  lockMs: number;
  attempts: number;
}

export interface TurboConfig {
  /**
   * The Redis URL, and whether the user set it (`turbostream up` starts its own Redis only when not).
   * `cluster` is set by `REDIS_CLUSTER=true` or by several comma-separated URLs, which are the seed `nodes`.
   */
  redis: { url: string; explicit: boolean; cluster: boolean; nodes: string[] };
  /** `/healthz` and `/readyz` (port 0: none). */
  health: { port: number; host: string };
  /** On SIGTERM, how long in-flight work may take before it is handed back. */
  shutdownTimeoutMs: number;
  namespace: string;
  instanceId: string;
  log: { level: string; format: 'json' | 'pretty' | 'auto' };
  /** The streams file that was read, or `undefined` when there is none (the default path does not exist). */
  streamsFile: string | undefined;
  streams: StreamConfig[];
  defaultProvider: ProviderId | undefined;
  providers: Record<ProviderId, ProviderSettings>;
  llm: LlmSettings;
  heuristic: { threshold: number };
  ingest: IngestSettings;
  windower: WindowerSettings;
  analyzer: AnalyzerSettings;
}
