import type { ProviderId } from '@turbostream/contracts';
import type OpenAI from 'openai';
import { ProviderError } from '../errors/provider-error.js';
import { type FinishReason, mapOpenAIFinishReason } from '../finish-reason.js';
import { excerpt, parseModelAnswer } from '../parse-model-answer.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from '../provider.js';
import { buildChatRequest, type MaxTokensParameter } from './build-chat-request.js';
import { collectChatStream } from './collect-chat-stream.js';
import type { UsageMapper } from './map-chat-usage.js';
import { type ErrorBodyNormaliser, mapOpenAIError } from './map-openai-error.js';

export interface ChatCompletionsProviderOptions {
  /** The id reported in results and errors. */
  providerId: ProviderId;
  /** A constructed SDK client (`OpenAI`, or `AzureOpenAI`), its own retries off. */
  client: OpenAI;
  /** Stripped from every error message: the API key. */
  secrets: readonly (string | undefined)[];
  /** @defaultValue 'max_completion_tokens' */
  maxTokensParameter?: MaxTokensParameter;
  /** @defaultValue mapOpenAIUsage */
  mapUsage?: UsageMapper;
  /** @defaultValue openAIErrorBody */
  errorBody?: ErrorBodyNormaliser;
}

/** Why an answer may be unusable, added to an invalid-output message. */
function finishContext(finishReason: FinishReason): string {
  if (finishReason === 'length') return 'cut off at the token limit';
  if (finishReason === 'content-filter') return 'stopped by the content filter';
  return '';
}

/**
 * "Analyse this window" over streamed Chat Completions, shared by every
 * provider reached through the official OpenAI SDK (OpenAI, Azure OpenAI,
 * xAI, Ollama and other compatible servers): strict JSON-schema output, a
 * deadline that covers a first token that never comes, time to first token
 * measured on the first content delta, usage from the stream. A stream that
 * ends without a finish reason is a failure, never an empty answer.
 */
export function createChatCompletionsProvider(options: ChatCompletionsProviderOptions): AnalysisProvider {
  const { providerId: provider, client, secrets } = options;

  async function analyze(request: AnalysisRequest): Promise<AnalysisResult> {
    const startedAt = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    const abort = () => controller.abort();
    request.signal?.addEventListener('abort', abort, { once: true });
    if (request.signal?.aborted) controller.abort();
    const context = () => ({
      provider,
      timedOut,
      aborted: request.signal?.aborted === true,
      timeoutMs: request.timeoutMs,
      secrets,
      ...(options.errorBody ? { errorBody: options.errorBody } : {}),
    });
    try {
      const body = buildChatRequest(request, options.maxTokensParameter);
      const stream = await client.chat.completions.create(body, { signal: controller.signal, timeout: request.timeoutMs, maxRetries: 0 });
      const collected = await collectChatStream(stream, startedAt, options.mapUsage ? { mapUsage: options.mapUsage } : {});
      // The SDK ends a stream quietly when it is aborted: an abort here is a failure, not an empty answer.
      if (controller.signal.aborted) throw mapOpenAIError(new Error('aborted'), context());
      if (collected.finishReason === undefined) {
        throw new ProviderError({ provider, kind: 'transient', message: `${provider} stream ended before the answer was complete (${collected.content.length} characters received)` });
      }
      if (collected.refusal && !collected.content) {
        throw new ProviderError({ provider, kind: 'invalid-output', message: `${provider} refused to answer: ${JSON.stringify(excerpt(collected.refusal))}`, usage: collected.usage });
      }
      const finishReason = mapOpenAIFinishReason(collected.finishReason);
      // The usage rides on an invalid-output error, so that a repair counts both calls.
      const answer = parseModelAnswer(provider, collected.content, finishContext(finishReason), collected.usage);
      const totalMs = performance.now() - startedAt;
      return {
        answer,
        timings: { ttftMs: collected.ttftMs ?? totalMs, totalMs },
        usage: collected.usage,
        finishReason,
        raw: { responseId: collected.responseId, responseModel: collected.responseModel, finishReason: collected.finishReason },
      };
    } catch (error) {
      throw mapOpenAIError(error, context());
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    }
  }

  return { id: provider, analyze };
}
