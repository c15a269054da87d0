import Anthropic from '@anthropic-ai/sdk';
import type { ProviderId } from '@turbostream/contracts';
import { askCall } from '../call/ask-call.js';
import { withDeadline } from '../call/call-deadline.js';
import { finishResult } from '../call/finish-result.js';
import { ProviderError } from '../errors/provider-error.js';
import { requireApiKey } from '../errors/require-api-key.js';
import { excerpt } from '../parse-model-answer.js';
import { buildPrompt } from '../prompt/build-prompt.js';
import { buildAskPrompt } from '../prompt/ask-prompt.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult, AskChunk, AskRequest } from '../provider.js';
import {
  ANTHROPIC_ANSWER_TOOL,
  type AnthropicStructuredOutput,
  buildAnthropicRequest,
} from './build-anthropic-request.js';
import { type CollectedMessage, collectMessageStream, messageStreamReader } from './collect-message-stream.js';
import { mapAnthropicError } from './map-anthropic-error.js';
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

/** A `refusal` stop: the model declined to answer, which a retry of the same window would not change. */
function refusalError(
  provider: ProviderId,
  stopReason: string | undefined,
  refusal: CollectedMessage['refusal'],
): ProviderError | undefined {
  if (stopReason !== 'refusal') return undefined;
  const category = refusal?.category ? ` (${refusal.category})` : '';
  const explanation = refusal?.explanation ? `: ${JSON.stringify(excerpt(refusal.explanation))}` : '';
  return new ProviderError({
    provider,
    kind: 'invalid-output',
    code: 'refusal',
    message: `${provider} refused to answer${category}${explanation}`,
  });
}

/**
 * The Anthropic provider, through the official SDK: a streamed Messages
 * request whose answer is held to the answer's JSON schema, time to first
 * token measured on the stream, usage read from `message_start` and
 * `message_delta`. `request.temperature` is not sent: the API version this
 * SDK speaks (2026-10-21) rejects sampling parameters.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): AnalysisProvider {
  const provider: ProviderId = 'anthropic';
  const structuredOutput = options.structuredOutput ?? 'json-schema';
  const apiKey = requireApiKey(provider, options.apiKey);
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
    return withDeadline({ provider, request, secrets: [apiKey], mapError: mapAnthropicError }, async (call) => {
      const prompt = buildPrompt(request.instructions, request.window, request.repair);
      const stream = await client.messages.create(
        buildAnthropicRequest({ model: request.model, maxTokens: request.maxTokens, prompt, structuredOutput }),
        {
          signal: call.signal,
          timeout: request.timeoutMs,
          maxRetries: options.maxRetries ?? 0,
        },
      );
      const collected = await collectMessageStream(stream, call.startedAt, ANTHROPIC_ANSWER_TOOL);
      return finishResult(call, collected, {
        provider,
        output: structuredOutput === 'tool' ? (collected.toolInput ?? collected.text) : collected.text,
        refs: prompt.refs,
        mapFinishReason: mapAnthropicStopReason,
        fail: () => refusalError(provider, collected.stopReason, collected.refusal),
        raw: {
          responseId: collected.responseId,
          responseModel: collected.responseModel,
          stopReason: collected.stopReason,
          structuredOutput,
        },
      });
    });
  }

  function ask(request: AskRequest): AsyncIterable<AskChunk> {
    return askCall({
      provider,
      request,
      secrets: [apiKey],
      mapError: mapAnthropicError,
      open: (call) =>
        client.messages.create(
          buildAnthropicRequest({
            model: request.model,
            maxTokens: request.maxTokens,
            prompt: buildAskPrompt(request.question, request.window, request.limits),
            structuredOutput: 'none',
          }),
          { signal: call.signal, timeout: request.timeoutMs, maxRetries: options.maxRetries ?? 0 },
        ),
      reader: (startedAt) => messageStreamReader(startedAt, ANTHROPIC_ANSWER_TOOL),
      end: (collected) => ({
        mapFinishReason: mapAnthropicStopReason,
        fail: () => refusalError(provider, collected.stopReason, collected.refusal),
      }),
      received: (collected) => collected.text,
    });
  }

  return { id: provider, analyze, ask };
}
