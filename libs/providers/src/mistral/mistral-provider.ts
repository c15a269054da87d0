import type { Mistral } from '@mistralai/mistralai';
import type { ProviderId } from '@turbostream/contracts';
import { askCall } from '../call/ask-call.js';
import { withDeadline } from '../call/call-deadline.js';
import { finishResult } from '../call/finish-result.js';
import { ProviderError } from '../errors/provider-error.js';
import { requireApiKey } from '../errors/require-api-key.js';
import { buildPrompt } from '../prompt/build-prompt.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult, AskChunk, AskRequest } from '../provider.js';
import { buildMistralAskRequest, buildMistralRequest } from './build-mistral-request.js';
import { collectMistralStream, mistralStreamReader } from './collect-mistral-stream.js';
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

/** A `finish_reason` of "error": the server gave up on the answer in the middle of the stream. */
function midStreamError(provider: ProviderId, received: number): ProviderError {
  return new ProviderError({
    provider,
    kind: 'transient',
    message:
      `${provider} reported an error in the middle of the stream (finish_reason "error", ${received} ` +
      `characters received)`,
  });
}

/**
 * The Mistral provider, through the official SDK: streamed chat completions
 * with strict JSON-schema structured output, time to first token measured on
 * the stream, usage (cached prompt tokens included) read from the last chunk.
 * SDK retries are off: retrying, and waiting out rate limits, is the queue's job.
 */
export function createMistralProvider(options: MistralProviderOptions): AnalysisProvider {
  const provider: ProviderId = 'mistral';
  const apiKey = requireApiKey(provider, options.apiKey);
  const customFetch = options.fetch;
  // The SDK takes over a second to load (its model schemas): it is loaded for the first call, not by every
  // process that can build this provider. Every option it would otherwise read from process.env is given explicitly.
  let loading: Promise<Mistral> | undefined;
  const loadClient = () =>
    (loading ??= import('@mistralai/mistralai').then(
      ({ HTTPClient, Mistral }) =>
        new Mistral({
          apiKey,
          serverURL: normalizeMistralBaseURL(options.baseURL),
          retryConfig: { strategy: 'none' },
          debugLogger: SILENT_LOGGER,
          ...(customFetch
            ? { httpClient: new HTTPClient({ fetcher: (input, init) => customFetch(input, init) }) }
            : {}),
        }),
    ));

  async function analyze(request: AnalysisRequest): Promise<AnalysisResult> {
    // Loaded before the call's clock starts, so that it counts in no time to first token.
    const client = await loadClient();
    return withDeadline({ provider, request, secrets: [apiKey], mapError: mapMistralError }, async (call) => {
      const prompt = buildPrompt(request.instructions, request.window, request.repair);
      const stream = await client.chat.stream(buildMistralRequest(request, prompt), {
        signal: call.signal,
        timeoutMs: request.timeoutMs,
        retries: { strategy: 'none' },
      });
      const collected = await collectMistralStream(stream, call.startedAt);
      return finishResult(call, collected, {
        provider,
        output: collected.content,
        refs: prompt.refs,
        mapFinishReason: mapMistralFinishReason,
        problem: (finishReason, reason) => (finishReason === 'length' ? `cut off: finish_reason ${reason}` : ''),
        fail: (finishReason) =>
          finishReason === 'error' ? midStreamError(provider, collected.content.length) : undefined,
        raw: {
          responseId: collected.responseId,
          responseModel: collected.responseModel,
          finishReason: collected.finishReason,
        },
      });
    });
  }

  async function* ask(request: AskRequest): AsyncGenerator<AskChunk, void, undefined> {
    // Loaded before the call's clock starts, as for an analysis.
    const client = await loadClient();
    yield* askCall({
      provider,
      request,
      secrets: [apiKey],
      mapError: mapMistralError,
      open: (call) =>
        client.chat.stream(buildMistralAskRequest(request), {
          signal: call.signal,
          timeoutMs: request.timeoutMs,
          retries: { strategy: 'none' },
        }),
      reader: (startedAt) => mistralStreamReader(startedAt),
      end: (collected) => ({
        mapFinishReason: mapMistralFinishReason,
        fail: (finishReason) =>
          finishReason === 'error' ? midStreamError(provider, collected.content.length) : undefined,
      }),
      received: (collected) => collected.content,
    });
  }

  return { id: provider, analyze, ask };
}
