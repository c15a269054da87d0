import { HTTPClient, Mistral } from '@mistralai/mistralai';
import type { ProviderId } from '@turbostream/contracts';
import { ProviderError } from '../errors/provider-error.js';
import { parseModelAnswer } from '../parse-model-answer.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from '../provider.js';
import { buildMistralRequest } from './build-mistral-request.js';
import { collectMistralStream } from './collect-mistral-stream.js';
import { mapMistralError } from './map-mistral-error.js';
import { mapMistralFinishReason } from './map-mistral-finish-reason.js';

export interface MistralProviderOptions {
  apiKey: string;
  /**
   * The server URL (`serverURL` in the SDK), without `/v1`: the SDK adds it. A trailing `/v1` is removed.
   * @defaultValue 'https://api.mistral.ai'
   */
  baseURL?: string;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof globalThis.fetch;
}

export const MISTRAL_DEFAULT_BASE_URL = 'https://api.mistral.ai';

/** `https://gateway/mistral/v1/` → `https://gateway/mistral`: the SDK's paths already start with `/v1`. */
export function normalizeMistralBaseURL(baseURL: string | undefined): string {
  return (baseURL ?? MISTRAL_DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Keeps the SDK quiet: without a logger it would log requests, headers included, when `MISTRAL_DEBUG` is set. */
const SILENT_LOGGER = { group: () => {}, groupEnd: () => {}, log: () => {} };

/**
 * The Mistral provider, through the official SDK: streamed chat completions
 * with strict JSON-schema structured output, time to first token measured on
 * the stream, usage (cached prompt tokens included) read from the last chunk.
 * SDK retries are off: retrying, and waiting out rate limits, is the queue's job.
 */
export function createMistralProvider(options: MistralProviderOptions): AnalysisProvider {
  const provider: ProviderId = 'mistral';
  const apiKey = options.apiKey;
  if (!apiKey) throw new ProviderError({ provider, kind: 'permanent', message: `provider ${provider} has no API key` });
  const customFetch = options.fetch;
  // Every option the SDK would otherwise read from process.env is given explicitly.
  const client = new Mistral({
    apiKey,
    serverURL: normalizeMistralBaseURL(options.baseURL),
    retryConfig: { strategy: 'none' },
    debugLogger: SILENT_LOGGER,
    ...(customFetch ? { httpClient: new HTTPClient({ fetcher: (input, init) => customFetch(input, init) }) } : {}),
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
      const stream = await client.chat.stream(buildMistralRequest(request), { signal: controller.signal, timeoutMs: request.timeoutMs, retries: { strategy: 'none' } });
      const collected = await collectMistralStream(stream, startedAt);
      // A stream that stopped because we aborted it is a failure, never an empty answer.
      if (controller.signal.aborted) throw mapMistralError(new Error('aborted'), context());
      if (collected.finishReason === undefined) {
        throw new ProviderError({ provider, kind: 'transient', message: `${provider} stream ended before the answer was complete (${collected.content.length} characters received)` });
      }
      const finishReason = mapMistralFinishReason(collected.finishReason);
      if (finishReason === 'error') {
        throw new ProviderError({ provider, kind: 'transient', message: `${provider} reported an error in the middle of the stream (finish_reason "error", ${collected.content.length} characters received)` });
      }
      const answer = parseModelAnswer(provider, collected.content, finishReason === 'length' ? `cut off: finish_reason ${collected.finishReason}` : '', collected.usage);
      const totalMs = performance.now() - startedAt;
      return {
        answer,
        timings: { ttftMs: collected.ttftMs ?? totalMs, totalMs },
        usage: collected.usage,
        finishReason,
        raw: { responseId: collected.responseId, responseModel: collected.responseModel, finishReason: collected.finishReason },
      };
    } catch (error) {
      throw mapMistralError(error, context());
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', abort);
    }
  }

  return { id: provider, analyze };
}
