import { GoogleGenAI } from '@google/genai';
import type { ProviderId } from '@turbostream/contracts';
import type { CallContext } from '../call/call-context.js';
import { askCall } from '../call/ask-call.js';
import { withDeadline } from '../call/call-deadline.js';
import { finishResult } from '../call/finish-result.js';
import { ProviderError } from '../errors/provider-error.js';
import { requireApiKey } from '../errors/require-api-key.js';
import { buildPrompt } from '../prompt/build-prompt.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult, AskChunk, AskRequest } from '../provider.js';
import { buildGeminiAskRequest, buildGeminiRequest } from './build-gemini-request.js';
import { type CollectedGemini, collectGeminiStream, geminiStreamReader } from './collect-gemini-stream.js';
import { type GeminiExchange, mapGeminiError } from './map-gemini-error.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

export interface GeminiProviderOptions {
  apiKey: string;
  /**
   * The API's root; the SDK appends `/v1beta/models/{model}:streamGenerateContent`.
   * @defaultValue 'https://generativelanguage.googleapis.com'
   */
  baseURL?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** The Gemini API version we speak (the SDK's own default is `v1`). */
export const GEMINI_API_VERSION = 'v1beta';

const provider: ProviderId = 'gemini';

/**
 * Wraps `fetch` to remember the response status and headers: the SDK's `ApiError` keeps neither `Retry-After` nor the
 * status of a stream.
 */
function recordingFetch(base: typeof globalThis.fetch, exchange: GeminiExchange): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await base(input, init);
    exchange.status = response.status;
    exchange.headers = response.headers;
    return response;
  };
}

/** The prompt itself was refused: there is no answer to repair, and the same window would be refused again. */
function blockedPromptError(collected: CollectedGemini): ProviderError | undefined {
  if (!collected.blockReason) return undefined;
  const detail = collected.blockReasonMessage ? `: ${collected.blockReasonMessage}` : '';
  return new ProviderError({
    provider,
    kind: 'permanent',
    code: collected.blockReason,
    message: `${provider} blocked the prompt (${collected.blockReason})${detail}`,
  });
}

/**
 * The Gemini provider, through Google's official `@google/genai` SDK (Gemini
 * Developer API, API key auth): streamed `generateContent` with JSON output
 * constrained by `responseJsonSchema`, time to first token measured on the
 * stream, usage from `usageMetadata`. The SDK neither retries nor resumes
 * streams: retrying is the queue's job.
 */
export function createGeminiProvider(options: GeminiProviderOptions): AnalysisProvider {
  const apiKey = requireApiKey(provider, options.apiKey);
  const baseFetch = options.fetch ?? globalThis.fetch;
  // Everything the SDK would otherwise take from the environment (GOOGLE_API_KEY, GEMINI_API_KEY,
  // GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GEMINI_BASE_URL, GOOGLE_GENAI_API_VERSION) is given here;
  // GOOGLE_CLOUD_PROJECT/LOCATION are still read by its constructor but only used for Vertex AI.
  const client = new GoogleGenAI({
    apiKey,
    vertexai: false,
    apiVersion: GEMINI_API_VERSION,
    httpOptions: { baseUrl: options.baseURL ?? GEMINI_DEFAULT_BASE_URL },
  });

  /** One call's error mapping, with the `fetch` that records the response it reads statuses and headers from. */
  function exchangeOfCall() {
    const exchange: GeminiExchange = {};
    return {
      mapError: (error: unknown, context: CallContext) => mapGeminiError(error, { ...context, exchange }),
      fetch: recordingFetch(baseFetch, exchange),
    };
  }

  async function analyze(request: AnalysisRequest): Promise<AnalysisResult> {
    const { mapError, fetch } = exchangeOfCall();
    return withDeadline({ provider, request, secrets: [apiKey], mapError }, async (call) => {
      const prompt = buildPrompt(request.instructions, request.window, request.repair);
      const params = buildGeminiRequest(request, { abortSignal: call.signal, fetch }, prompt);
      const stream = await client.models.generateContentStream(params);
      const collected = await collectGeminiStream(stream, call.startedAt);
      return finishResult(call, collected, {
        provider,
        output: collected.text,
        refs: prompt.refs,
        mapFinishReason: mapGeminiFinishReason,
        problem: (finishReason, reason) =>
          finishReason === 'length'
            ? 'cut off at the token limit'
            : finishReason === 'stop'
              ? ''
              : `stopped with ${reason}`,
        failFirst: () => blockedPromptError(collected),
        raw: {
          responseId: collected.responseId,
          modelVersion: collected.modelVersion,
          finishReason: collected.finishReason,
        },
      });
    });
  }

  function ask(request: AskRequest): AsyncIterable<AskChunk> {
    const { mapError, fetch } = exchangeOfCall();
    return askCall({
      provider,
      request,
      secrets: [apiKey],
      mapError,
      open: (call) =>
        client.models.generateContentStream(buildGeminiAskRequest(request, { abortSignal: call.signal, fetch })),
      reader: (startedAt) => geminiStreamReader(startedAt),
      end: (collected) => ({
        mapFinishReason: mapGeminiFinishReason,
        failFirst: () => blockedPromptError(collected),
      }),
      received: (collected) => collected.text,
    });
  }

  return { id: provider, analyze, ask };
}
