import type { ModelAnswer, ProviderId, Window } from '@turbostream/contracts';
import type { FinishReason } from './finish-reason.js';

/** What one provider is asked to do: analyse one window with one model. */
export interface AnalysisRequest {
  /** The model the job names; never replaced by another. */
  model: string;
  /** The stream's instructions, written by the user. */
  instructions: string;
  window: Window;
  /** Aborts the call (e.g. on shutdown). */
  signal?: AbortSignal;
  maxTokens: number;
  temperature: number;
  /** The whole call, first token included, must finish within this many milliseconds. */
  timeoutMs: number;
  /** Set for the one repair attempt after an invalid answer. */
  repair?: RepairRequest;
}

/** What the model answered before, and why it could not be used. */
export interface RepairRequest {
  previousOutput: string;
  problem: string;
}

export interface AnalysisTimings {
  /** Milliseconds from the request to the first answer token. */
  ttftMs: number;
  /** Milliseconds from the request to the end of the answer. */
  totalMs: number;
}

/**
 * Token usage in one shape for every provider (`TokenUsage` in `@turbostream/costs`, which prices it).
 * `inputTokens` is every input token, cached or not.
 */
export interface AnalysisUsage {
  inputTokens: number;
  outputTokens: number;
  /** The part of `inputTokens` served from the provider's prompt cache, when it says so. */
  cachedInputTokens?: number;
  /** The part of `inputTokens` written to the prompt cache, when the provider bills it apart (Anthropic). */
  cacheWriteInputTokens?: number;
}

/** A validated answer with what it cost to get it. */
export interface AnalysisResult {
  answer: ModelAnswer;
  timings: AnalysisTimings;
  usage: AnalysisUsage;
  finishReason: FinishReason;
  /** Provider-specific details kept for debugging (never secrets). */
  raw?: Record<string, unknown>;
}

/**
 * "Analyse this window": one small interface in front of every provider.
 * Failures are thrown as {@link ProviderError}s that say whether to retry.
 */
export interface AnalysisProvider {
  readonly id: ProviderId;
  analyze(request: AnalysisRequest): Promise<AnalysisResult>;
}
