import type { ModelAnswer, ProviderId, Window } from '@turbostream/contracts';
import type { FinishReason } from './finish-reason.js';
import type { PromptLimits } from './prompt/render-window.js';

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
 * A question about a stream's recent messages, answered in free text. The
 * question is the user's (trusted, like a stream's instructions); the
 * messages are data, fenced and escaped as for an analysis.
 */
export interface AskRequest {
  /** The model to ask; never replaced by another. */
  model: string;
  /** The user's question. */
  question: string;
  /** The messages the question is about (and the gaps between them), rendered as an analysis renders a window. */
  window: Window;
  /**
   * How much of `window` the prompt may show; the caller chooses the messages
   * (and counts their tokens) with {@link buildAskPrompt} and the same limits.
   * @defaultValue DEFAULT_PROMPT_LIMITS
   */
  limits?: PromptLimits;
  /** Aborts the call; so does leaving the iteration early. */
  signal?: AbortSignal;
  maxTokens: number;
  temperature: number;
  /** The whole answer, first token included, must arrive within this many milliseconds. */
  timeoutMs: number;
}

/**
 * What {@link AnalysisProvider.ask} yields: the answer's text as it arrives
 * (in order, never empty), then once, when the stream ended well, how it ended
 * and what it cost. A failure is thrown as a {@link ProviderError} instead of
 * the `done` chunk.
 */
export type AskChunk =
  | { type: 'text'; text: string }
  | { type: 'done'; finishReason: FinishReason; timings: AnalysisTimings; usage: AnalysisUsage };

/**
 * "Analyse this window": one small interface in front of every provider.
 * Failures are thrown as {@link ProviderError}s that say whether to retry.
 */
export interface AnalysisProvider {
  readonly id: ProviderId;
  analyze(request: AnalysisRequest): Promise<AnalysisResult>;
  /**
   * Answers a question about some messages in free text, streamed: the same
   * client, deadline, error mapping and usage as {@link analyze}. Absent on a
   * provider that cannot answer questions (the heuristic).
   */
  ask?(request: AskRequest): AsyncIterable<AskChunk>;
}
