import { MODEL_ANSWER_JSON_SCHEMA, type ProviderId } from '@turbostream/contracts';
import OpenAI from 'openai';
import { ProviderError } from '../errors/provider-error.js';
import { mapOpenAIFinishReason } from '../finish-reason.js';
import { excerpt, parseModelAnswer } from '../parse-model-answer.js';
import { buildPrompt, promptMessages } from '../prompt/build-prompt.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from '../provider.js';
import { collectChatStream } from './collect-chat-stream.js';
import { mapOpenAIError } from './map-openai-error.js';

export interface OpenAIProviderOptions {
  apiKey: string;
  /** @defaultValue 'https://api.openai.com/v1' */
  baseURL?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
  /**
   * Retries inside the SDK. Keep 0: retrying, and waiting out rate limits, is the queue's job.
   * @defaultValue 0
   */
  maxRetries?: number;
  /**
   * The id this provider reports, for OpenAI-compatible servers.
   * @defaultValue 'openai'
   */
  providerId?: ProviderId;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * The OpenAI provider, through the official SDK: streamed Chat Completions
 * with strict JSON-schema structured output, time to first token measured on
 * the stream, usage read from the final chunk.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): AnalysisProvider {
  const provider = options.providerId ?? 'openai';
  const apiKey = options.apiKey;
  if (!apiKey) throw new ProviderError({ provider, kind: 'permanent', message: `provider ${provider} has no API key` });
  // Every option the SDK would otherwise read from process.env is given explicitly.
  const client = new OpenAI({
    apiKey,
    baseURL: options.baseURL ?? OPENAI_DEFAULT_BASE_URL,
    organization: null,
    project: null,
    adminAPIKey: null,
    maxRetries: options.maxRetries ?? 0,
    logLevel: 'off',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

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
    const context = () => ({ provider, timedOut, aborted: request.signal?.aborted === true, timeoutMs: request.timeoutMs, secrets: [apiKey] });
    try {
      const prompt = buildPrompt(request.instructions, request.window, request.repair);
      const stream = await client.chat.completions.create(
        {
          model: request.model,
          messages: [{ role: 'system', content: prompt.system }, ...promptMessages(prompt)],
          stream: true,
          stream_options: { include_usage: true },
          response_format: { type: 'json_schema', json_schema: { name: 'turbostream_alerts', strict: true, schema: MODEL_ANSWER_JSON_SCHEMA } },
          max_completion_tokens: request.maxTokens,
          temperature: request.temperature,
        },
        { signal: controller.signal, timeout: request.timeoutMs, maxRetries: 0 },
      );
      const collected = await collectChatStream(stream, startedAt);
      // The SDK ends a stream quietly when it is aborted: an abort here is a failure, not an empty answer.
      if (controller.signal.aborted) throw mapOpenAIError(new Error('aborted'), context());
      if (collected.finishReason === undefined) {
        throw new ProviderError({ provider, kind: 'transient', message: `${provider} stream ended before the answer was complete (${collected.content.length} characters received)` });
      }
      if (collected.refusal && !collected.content) {
        throw new ProviderError({ provider, kind: 'invalid-output', message: `${provider} refused to answer: ${JSON.stringify(excerpt(collected.refusal))}` });
      }
      const finishReason = mapOpenAIFinishReason(collected.finishReason);
      const answer = parseModelAnswer(provider, collected.content, finishReason === 'length' ? 'cut off at the token limit' : '');
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
