import type { AnalysisTarget, TargetSamples } from '@turbostream/contracts';
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

export interface StreamConfig extends Pick<StreamInput, 'id' | 'source' | 'window' | 'budget'> {
  /** The stream's own target followed by its comparison targets; never empty. */
  targets: AnalysisTarget[];
  /**
   * The comparison targets that analyse only a share of the windows (`compare[].sample` below 1), by `provider/model`;
   * absent when every target analyses every window. Never in a job's target.
   */
  samples?: TargetSamples;
  instructions: string;
}

/** A provider's settings: one type for config and providers, in the provider registry (contracts). */
export type { ProviderSettings } from '@turbostream/contracts';

export type LlmSettings = SettingsOf<'llm'>;
export type IngestSettings = SettingsOf<'ingest'>;
export type WindowerSettings = SettingsOf<'windower'>;
export type AnalyzerSettings = SettingsOf<'analyzer'>;
