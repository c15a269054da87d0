import { GoogleGenAI } from '@google/genai';
import type { ProviderId } from '@turbostream/contracts';
import { ProviderError } from '../errors/provider-error.js';
import { parseModelAnswer } from '../parse-model-answer.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from '../provider.js';
import { buildGeminiRequest } from './build-gemini-request.js';
import { collectGeminiStream } from './collect-gemini-stream.js';
import { type GeminiErrorContext, type GeminiExchange, mapGeminiError } from './map-gemini-error.js';
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

/** Wraps `fetch` to remember the response status and headers: the SDK's `ApiError` keeps neither `Retry-After` nor the status of a stream. */
function recordingFetch(base: typeof globalThis.fetch, exchange: GeminiExchange): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await base(input, init);
    exchange.status = response.status;
    exchange.headers = response.headers;
    return response;
  };
}

/**
 * The Gemini provider, through Google's official `@google/genai` SDK (Gemini
 * Developer API, API key auth): streamed `generateContent` with JSON output
 * constrained by `responseJsonSchema`, time to first token measured on the
 * stream, usage from `usageMetadata`. The SDK neither retries nor resumes
 * streams: retrying is the queue's job.
 */
export function createGeminiProvider(options: GeminiProviderOptions): AnalysisProvider {
  const apiKey = options.apiKey;
  if (!apiKey) throw new ProviderError({ provider, kind: 'permanent', message: `provider ${provider} has no API key` });
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
    const exchange: GeminiExchange = {};
    const context = (): GeminiErrorContext => ({ provider, timedOut, aborted: request.signal?.aborted === true, timeoutMs: request.timeoutMs, secrets: [apiKey], exchange });
    try {
      const params = buildGeminiRequest(request, { abortSignal: controller.signal, fetch: recordingFetch(baseFetch, exchange) });
      const stream = await client.models.generateContentStream(params);
      const collected = await collectGeminiStream(stream, startedAt);
      if (controller.signal.aborted) throw mapGeminiError(new Error('aborted'), context());
      if (collected.blockReason) {
        // The prompt itself was refused: there is no answer to repair, and the same window would be refused again.
        const detail = collected.blockReasonMessage ? `: ${collected.blockReasonMessage}` : '';
        throw new ProviderError({ provider, kind: 'permanent', code: collected.blockReason, message: `${provider} blocked the prompt (${collected.blockReason})${detail}` });
      }
      if (collected.finishReason === undefined) {
        throw new ProviderError({ provider, kind: 'transient', message: `${provider} stream ended before the answer was complete (${collected.text.length} characters received)` });
      }
      const finishReason = mapGeminiFinishReason(collected.finishReason);
      const problem = finishReason === 'length' ? 'cut off at the token limit' : finishReason === 'stop' ? '' : `stopped with ${collected.finishReason}`;
      const answer = parseModelAnswer(provider, collected.text, problem, collected.usage);
      const totalMs = performance.now() - startedAt;
      return {
        answer,
        timings: { ttftMs: collected.ttftMs ?? totalMs, totalMs },
        usage: collected.usage,
        finishReason,
        raw: { responseId: collected.responseId, modelVersion: collected.modelVersion, finishReason: collected.finishReason },
      };
    } catch (error) {
      throw mapGeminiError(error, context());
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    }
  }

  return { id: provider, analyze };
}
