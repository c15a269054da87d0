import Anthropic from '@anthropic-ai/sdk';
import type { ProviderId } from '@turbostream/contracts';
import { ProviderError } from '../errors/provider-error.js';
import { excerpt, parseModelAnswer } from '../parse-model-answer.js';
import { buildPrompt } from '../prompt/build-prompt.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from '../provider.js';
import { ANTHROPIC_ANSWER_TOOL, type AnthropicStructuredOutput, buildAnthropicRequest } from './build-anthropic-request.js';
import { collectMessageStream } from './collect-message-stream.js';
import { type AnthropicErrorContext, mapAnthropicError } from './map-anthropic-error.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

export interface AnthropicProviderOptions {
  apiKey: string;
  /** @defaultValue 'https://api.anthropic.com' */
  baseURL?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
  /**
   * Retries inside the SDK. Keep 0: retrying, and waiting out rate limits, is the queue's job.
   * @defaultValue 0
   */
  maxRetries?: number;
  /**
   * How the answer's shape is enforced: the structured output mode
   * (`output_config.format`), or a forced tool call for models without it.
   * @defaultValue 'json-schema'
   */
  structuredOutput?: AnthropicStructuredOutput;
}

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/**
 * The Anthropic provider, through the official SDK: a streamed Messages
 * request whose answer is held to the answer's JSON schema, time to first
 * token measured on the stream, usage read from `message_start` and
 * `message_delta`. `request.temperature` is not sent: the API version this
 * SDK speaks (2026-10-21) rejects sampling parameters.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): AnalysisProvider {
  const provider: ProviderId = 'anthropic';
  const apiKey = options.apiKey;
  const structuredOutput = options.structuredOutput ?? 'json-schema';
  if (!apiKey) throw new ProviderError({ provider, kind: 'permanent', message: `provider ${provider} has no API key` });
  // Every option the SDK would otherwise read from process.env is given explicitly
  // (the SDK still reads ANTHROPIC_CUSTOM_HEADERS, which has no option).
  const client = new Anthropic({
    apiKey,
    authToken: null,
    webhookKey: null,
    baseURL: options.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL,
    maxRetries: options.maxRetries ?? 0,
    logLevel: 'off',
    openTelemetry: false,
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
    const context = (): AnthropicErrorContext => ({ provider, timedOut, aborted: request.signal?.aborted === true, timeoutMs: request.timeoutMs, secrets: [apiKey] });
    try {
      const prompt = buildPrompt(request.instructions, request.window, request.repair);
      const stream = await client.messages.create(buildAnthropicRequest({ model: request.model, maxTokens: request.maxTokens, prompt, structuredOutput }), {
        signal: controller.signal,
        timeout: request.timeoutMs,
        maxRetries: options.maxRetries ?? 0,
      });
      const collected = await collectMessageStream(stream, startedAt, ANTHROPIC_ANSWER_TOOL);
      // The SDK ends a stream quietly when it is aborted: an abort here is a failure, not an empty answer.
      if (controller.signal.aborted) throw mapAnthropicError(new Error('aborted'), context());
      const output = structuredOutput === 'tool' ? (collected.toolInput ?? collected.text) : collected.text;
      if (!collected.complete || collected.stopReason === undefined) {
        throw new ProviderError({ provider, kind: 'transient', message: `${provider} stream ended before the answer was complete (${output.length} characters received)` });
      }
      if (collected.stopReason === 'refusal') {
        const category = collected.refusal?.category ? ` (${collected.refusal.category})` : '';
        const explanation = collected.refusal?.explanation ? `: ${JSON.stringify(excerpt(collected.refusal.explanation))}` : '';
        throw new ProviderError({ provider, kind: 'invalid-output', code: 'refusal', message: `${provider} refused to answer${category}${explanation}` });
      }
      const finishReason = mapAnthropicStopReason(collected.stopReason);
      const answer = parseModelAnswer(provider, output, finishReason === 'length' ? 'cut off at the token limit' : '', collected.usage);
      const totalMs = performance.now() - startedAt;
      return {
        answer,
        timings: { ttftMs: collected.ttftMs ?? totalMs, totalMs },
        usage: collected.usage,
        finishReason,
        raw: { responseId: collected.responseId, responseModel: collected.responseModel, stopReason: collected.stopReason, structuredOutput },
      };
    } catch (error) {
      throw mapAnthropicError(error, context());
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    }
  }

  return { id: provider, analyze };
}
