import type { AnalysisTarget, ProviderId } from '@turbostream/contracts';
import type { SettingsOf } from './env-schema.js';
import type { StreamInput } from './streams-schema.js';

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

/**
 * A stream's source as the streams file gives it (`format` json: frames that are not JSON are dead-lettered; text: any
 * UTF-8 text is a message).
 */
export type SourceConfig = StreamInput['source'];

export type WindowLimits = StreamInput['window'];

export interface StreamConfig extends Pick<StreamInput, 'id' | 'source' | 'window'> {
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

export type LlmSettings = SettingsOf<'llm'>;
export type IngestSettings = SettingsOf<'ingest'>;
export type WindowerSettings = SettingsOf<'windower'>;
export type AnalyzerSettings = SettingsOf<'analyzer'>;

export interface TurboConfig {
  /**
   * The Redis URL, and whether the user set it (`turbostream up` starts its own Redis only when not).
   * `cluster` is set by `REDIS_CLUSTER=true` or by several comma-separated URLs, which are the seed `nodes`.
   */
  redis: { url: string; explicit: boolean; cluster: boolean; nodes: string[] };
  /** `/healthz` and `/readyz` (port 0: none). */
  health: SettingsOf<'health'>;
  /** On SIGTERM, how long in-flight work may take before it is handed back. */
  shutdownTimeoutMs: number;
  namespace: string;
  instanceId: string;
  log: SettingsOf<'log'>;
  /** The streams file that was read, or `undefined` when there is none (the default path does not exist). */
  streamsFile: string | undefined;
  streams: StreamConfig[];
  defaultProvider: ProviderId | undefined;
  providers: Record<ProviderId, ProviderSettings>;
  llm: LlmSettings;
  heuristic: SettingsOf<'heuristic'>;
  ingest: IngestSettings;
  windower: WindowerSettings;
  analyzer: AnalyzerSettings;
}

/** What every service connects with: its Redis and namespace. */
type ServiceConnection = Pick<TurboConfig, 'redis' | 'namespace'>;

/** Each service's part of the configuration: only the analyzer holds the providers (and their keys). */
export interface ServiceConfigs {
  ingest: ServiceConnection & Pick<TurboConfig, 'streams' | 'ingest'>;
  /**
   * The providers only through the streams' resolved targets; `jobAttempts` is `ANALYZER_ATTEMPTS`, set on each job it
   * enqueues.
   */
  windower: ServiceConnection & Pick<TurboConfig, 'streams' | 'windower' | 'instanceId'> & { jobAttempts: number };
  analyzer: ServiceConnection &
    Pick<TurboConfig, 'providers' | 'llm' | 'heuristic' | 'analyzer' | 'instanceId' | 'shutdownTimeoutMs'>;
}
