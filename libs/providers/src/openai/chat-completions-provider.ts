import type { ProviderId } from '@turbostream/contracts';
import type OpenAI from 'openai';
import type { CallContext } from '../call/call-context.js';
import { askCall } from '../call/ask-call.js';
import { withDeadline } from '../call/call-deadline.js';
import { finishResult } from '../call/finish-result.js';
import { ProviderError } from '../errors/provider-error.js';
import { mapOpenAIFinishReason } from '../finish-reason.js';
import { excerpt } from '../parse-model-answer.js';
import { buildPrompt } from '../prompt/build-prompt.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult, AskChunk, AskRequest } from '../provider.js';
import { buildChatAskRequest, buildChatRequest, type MaxTokensParameter } from './build-chat-request.js';
import { type CollectedChat, chatStreamReader, collectChatStream } from './collect-chat-stream.js';
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

/** Only a refusal and no answer: the model declined. The usage rides along, so that a repair counts both calls. */
function refusalError(provider: ProviderId, collected: CollectedChat): ProviderError | undefined {
  if (!collected.refusal || collected.content) return undefined;
  return new ProviderError({
    provider,
    kind: 'invalid-output',
    message: `${provider} refused to answer: ${JSON.stringify(excerpt(collected.refusal))}`,
    usage: collected.usage,
  });
}

/**
 * "Analyse this window" over streamed Chat Completions, shared by every
 * provider reached through the official OpenAI SDK (OpenAI, Azure OpenAI,
 * xAI, Ollama and other compatible servers): strict JSON-schema output, a
 * deadline that covers a first token that never comes, time to first token
 * measured on the first content delta, usage from the stream. A stream that
 * ends without a finish reason is a failure, never an empty answer. `ask`
 * streams a free-text answer over the same client and error mapping.
 */
export function createChatCompletionsProvider(options: ChatCompletionsProviderOptions): AnalysisProvider {
  const { providerId: provider, client, secrets } = options;

  const mapError = (error: unknown, context: CallContext) =>
    mapOpenAIError(error, { ...context, ...(options.errorBody ? { errorBody: options.errorBody } : {}) });
  const readerOptions = options.mapUsage ? { mapUsage: options.mapUsage } : {};

  async function analyze(request: AnalysisRequest): Promise<AnalysisResult> {
    return withDeadline({ provider, request, secrets, mapError }, async (call) => {
      const prompt = buildPrompt(request.instructions, request.window, request.repair);
      const body = buildChatRequest(request, options.maxTokensParameter, prompt);
      const stream = await client.chat.completions.create(body, {
        signal: call.signal,
        timeout: request.timeoutMs,
        maxRetries: 0,
      });
      const collected = await collectChatStream(stream, call.startedAt, readerOptions);
      return finishResult(call, collected, {
        provider,
        output: collected.content,
        refs: prompt.refs,
        mapFinishReason: mapOpenAIFinishReason,
        fail: () => refusalError(provider, collected),
        raw: {
          responseId: collected.responseId,
          responseModel: collected.responseModel,
          finishReason: collected.finishReason,
        },
      });
    });
  }

  function ask(request: AskRequest): AsyncIterable<AskChunk> {
    return askCall({
      provider,
      request,
      secrets,
      mapError,
      open: (call) =>
        client.chat.completions.create(buildChatAskRequest(request, options.maxTokensParameter), {
          signal: call.signal,
          timeout: request.timeoutMs,
          maxRetries: 0,
        }),
      reader: (startedAt) => chatStreamReader(startedAt, readerOptions),
      end: (collected) => ({
        mapFinishReason: mapOpenAIFinishReason,
        fail: () => refusalError(provider, collected),
      }),
      received: (collected) => collected.content,
    });
  }

  return { id: provider, analyze, ask };
}
