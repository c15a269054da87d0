import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  bearerToken,
  field,
  isPostTo,
  keyProblem,
  pause,
  recordRequest,
  sendJson,
  startFakeHttpServer,
} from './fake-http.js';
import {
  answerModel,
  DEFAULT_FAKE_CONTENT,
  earliestStop,
  estimateCompletionTokens,
  estimatePromptTokens,
  splitContent,
} from './fake-reply.js';
import { FakeSseStream, SSE_HEADERS } from './fake-sse.js';

/** One request the fake received, as the SDK sent it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when there was none or it was not JSON). */
  body: unknown;
  /** Azure paths only: the deployment named in `/openai/deployments/{deployment}/chat/completions`. */
  deployment?: string;
  /** The `api-version` query parameter, when one was sent (Azure requires it). */
  apiVersion?: string;
}

/** Answer with this content, streamed as several deltas when the request asked for a stream. */
export interface FakeContentReply {
  content: string;
  /** Characters per content delta. @defaultValue about a fifth of the content (at least 1) */
  chunkSize?: number;
  /** @defaultValue 'stop' */
  finishReason?: 'stop' | 'length' | 'content_filter';
  /**
   * Token counts to report; `null` reports none at all, as some local servers do.
   * @defaultValue estimates from the request and content sizes, 0 cached, 0 reasoning
   */
  usage?: {
    promptTokens?: number;
    completionTokens?: number;
    cachedTokens?: number;
    reasoningTokens?: number;
    totalTokens?: number;
  } | null;
  /**
   * Streams only: thinking sent as `delta.reasoning_content` deltas right after the role
   * chunk, before `firstTokenDelayMs` and the content (as xAI's reasoning models do).
   */
  reasoning?: string;
  /** The model named in the answer. @defaultValue the requested model */
  model?: string;
  /** Wait this long before sending anything, headers included. */
  delayMs?: number;
  /** Streams only: after the headers and the role chunk, wait this long before the first content delta. */
  firstTokenDelayMs?: number;
  /** Streams only: wait this long between content deltas. */
  chunkDelayMs?: number;
  /**
   * Streams only: awaited before content delta number `index` (from 0) is sent, so that a test can hold the stream
   * there (and see what the client did with the deltas before it).
   */
  beforeChunk?: (index: number) => Promise<void> | void;
  /** Streams only: drop the connection after this many content deltas, without `finish_reason` or `[DONE]`. */
  disconnectAfterChunks?: number;
  /**
   * How the stream stops after `disconnectAfterChunks`: `reset` drops the connection,
   * `end` closes the response cleanly but without `finish_reason` or `[DONE]`.
   * @defaultValue 'reset'
   */
  disconnectMode?: 'reset' | 'end';
  /**
   * Streams only: after this many content deltas, send the documented in-stream
   * error event (`data: {"error":{...}}`) and end the response.
   */
  streamError?: { afterChunks: number; message: string; type?: string; code?: string | null };
}

/** Answer with an HTTP error and the documented error body. */
export interface FakeErrorReply {
  status: number;
  error: { message: string; type: string; param?: string | null; code?: string | null };
  /** Extra response headers, e.g. `{ 'retry-after': '2' }`. */
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * Answer with an HTTP error and this body, verbatim: for providers whose error bodies differ (xAI's `{"code","error"}`,
 * Azure's `{"error":{"code","message"}}`).
 */
export interface FakeRawErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export type FakeOpenAIReply = FakeContentReply | FakeErrorReply | FakeRawErrorReply;

/**
 * Computes the reply to an authorised `POST /v1/chat/completions` (or Azure deployment chat completions) from the
 * request.
 */
export type FakeOpenAIHandler = (request: RecordedRequest) => FakeOpenAIReply | Promise<FakeOpenAIReply>;

export interface FakeOpenAIOptions {
  /** The only API key accepted (as `Bearer`, or as Azure's `api-key` header). @defaultValue any key */
  apiKey?: string;
  /** @defaultValue answers `{"alerts":[]}` */
  handler?: FakeOpenAIHandler;
}

export interface FakeOpenAI {
  /** Base URL for the SDK, ending in `/v1`. */
  readonly url: string;
  /**
   * The server's origin, as an Azure OpenAI resource endpoint: the SDK's
   * `AzureOpenAI` client calls `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…`
   * with an `api-key` header.
   */
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  setHandler(handler: FakeOpenAIHandler): void;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/** The `messages` of a recorded chat request (role and text content), for handlers that answer from the prompt. */
export function chatMessages(request: RecordedRequest): { role: string; content: string }[] {
  const body = request.body;
  if (typeof body !== 'object' || body === null || !('messages' in body) || !Array.isArray(body.messages)) return [];
  return body.messages.flatMap((message: unknown) => {
    if (typeof message !== 'object' || message === null || !('role' in message) || !('content' in message)) return [];
    const { role, content } = message;
    return typeof role === 'string' && typeof content === 'string' ? [{ role, content }] : [];
  });
}

function sendError(
  response: ServerResponse,
  status: number,
  error: FakeErrorReply['error'],
  headers?: Record<string, string>,
): void {
  sendJson(
    response,
    status,
    { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null } },
    headers,
  );
}

/** Azure's error body: `{"error":{"code","message"}}`, with the status as the code for gateway errors. */
function sendAzureError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { code: String(status), message } });
}

function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

const DEFAULT_HANDLER: FakeOpenAIHandler = () => ({ content: DEFAULT_FAKE_CONTENT });

let sequence = 0;

/** Answers the `Authorization` check the way OpenAI does; true when the request may go on. */
function authorize(request: RecordedRequest, response: ServerResponse, apiKey: string | undefined): boolean {
  const key = bearerToken(request.headers);
  if (key === undefined) {
    sendError(response, 401, {
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer " +
        'auth (i.e. Authorization: Bearer YOUR_KEY).',
      type: 'invalid_request_error',
    });
    return false;
  }
  if (keyProblem(key, apiKey) === 'invalid') {
    sendError(response, 401, {
      message:
        `Incorrect API key provided: ${maskKey(key)}. You can find your API key at ` +
        `https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
    return false;
  }
  return true;
}

/** Answers the `api-key` check the way Azure OpenAI does; true when the request may go on. */
function authorizeAzure(request: RecordedRequest, response: ServerResponse, apiKey: string | undefined): boolean {
  const key = request.headers['api-key'];
  if (keyProblem(typeof key === 'string' && key !== '' ? key : undefined, apiKey) !== undefined) {
    sendAzureError(
      response,
      401,
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for ' +
        'an active subscription and use a correct regional API endpoint for your resource.',
    );
    return false;
  }
  return true;
}

function usageOf(reply: FakeContentReply, request: RecordedRequest) {
  const promptTokens = reply.usage?.promptTokens ?? estimatePromptTokens(request.body, 'messages');
  const completionTokens = reply.usage?.completionTokens ?? estimateCompletionTokens(reply.content);
  const reasoningTokens = reply.usage?.reasoningTokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: reply.usage?.totalTokens ?? promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: reply.usage?.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const SAFE = { filtered: false, severity: 'safe' };
/** Azure's content-filter annotations: all categories safe, or the answer filtered for violence. */
function contentFilterResults(filtered: boolean) {
  return {
    hate: SAFE,
    self_harm: SAFE,
    sexual: SAFE,
    violence: filtered ? { filtered: true, severity: 'high' } : SAFE,
  };
}

function sendNonStreamed(
  reply: FakeContentReply,
  request: RecordedRequest,
  response: ServerResponse,
  base: Record<string, unknown>,
  headers: Record<string, string>,
): void {
  const choice = {
    index: 0,
    message: { role: 'assistant', content: reply.content, refusal: null, annotations: [] },
    logprobs: null,
    finish_reason: reply.finishReason ?? 'stop',
  };
  const usage = reply.usage === null ? {} : { usage: usageOf(reply, request) };
  sendJson(
    response,
    200,
    { ...base, object: 'chat.completion', choices: [choice], ...usage, service_tier: 'default' },
    headers,
  );
}

async function sendCompletion(
  reply: FakeContentReply,
  request: RecordedRequest,
  response: ServerResponse,
): Promise<void> {
  if (!(await pause(reply.delayMs, response))) return;
  const azure = request.deployment !== undefined;
  const base = {
    id: `chatcmpl-fake${++sequence}`,
    created: Math.floor(Date.now() / 1000),
    model: answerModel(reply.model, request.body),
    system_fingerprint: 'fp_fake',
  };
  const headers: Record<string, string> = azure
    ? { 'apim-request-id': `req_fake${sequence}`, 'x-ms-region': 'Sweden Central' }
    : { 'x-request-id': `req_fake${sequence}`, 'openai-processing-ms': '1' };
  if (field(request.body, 'stream') !== true) {
    sendNonStreamed(reply, request, response, base, headers);
    return;
  }
  const includeUsage = reply.usage !== null && field(field(request.body, 'stream_options'), 'include_usage') === true;
  const filters = (filtered = false) => (azure ? { content_filter_results: contentFilterResults(filtered) } : {});
  const sse = new FakeSseStream(response);
  const send = (choices: unknown[], usage?: unknown) =>
    sse.data({
      ...base,
      object: 'chat.completion.chunk',
      ...(azure ? {} : { service_tier: 'default' }),
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    });
  sse.open({ ...SSE_HEADERS, ...headers });
  if (azure) {
    // Azure opens every stream with the prompt's filter results: no id, no model, no choices.
    sse.data({
      choices: [],
      created: 0,
      id: '',
      model: '',
      object: '',
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: contentFilterResults(false) }],
    });
  }
  send([
    {
      index: 0,
      delta: { role: 'assistant', content: '', refusal: null },
      logprobs: null,
      finish_reason: null,
      ...filters(),
    },
  ]);
  for (const piece of reply.reasoning ? splitContent(reply.reasoning, reply.chunkSize) : []) {
    send([{ index: 0, delta: { reasoning_content: piece }, logprobs: null, finish_reason: null }]);
  }
  if (!(await sse.pause(reply.firstTokenDelayMs))) return;
  const pacing = {
    stopAfter: earliestStop(reply.disconnectAfterChunks, reply.streamError?.afterChunks),
    delayMs: reply.chunkDelayMs,
    before: reply.beforeChunk,
  };
  const sendPiece = (piece: string) =>
    send([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null, ...filters() }]);
  if (!(await sse.pieces(splitContent(reply.content, reply.chunkSize), pacing, sendPiece))) return;
  if (reply.streamError !== undefined) {
    const { message, type = 'server_error', code = null } = reply.streamError;
    sse.data({ error: { message, type, param: null, code } }, true);
    return;
  }
  if (reply.disconnectAfterChunks !== undefined) {
    await sse.disconnect(reply.disconnectMode);
    return;
  }
  const finishReason = reply.finishReason ?? 'stop';
  send([
    { index: 0, delta: {}, logprobs: null, finish_reason: finishReason, ...filters(finishReason === 'content_filter') },
  ]);
  if (includeUsage) send([], usageOf(reply, request));
  sse.done();
}

const AZURE_CHAT_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

/**
 * Routes and authenticates a request the way OpenAI (`/v1/…`, Bearer) or Azure (`/openai/deployments/…`, `api-key`)
 * would; true when it is a chat completion that may go on.
 */
function admit(request: RecordedRequest, response: ServerResponse, apiKey: string | undefined): boolean {
  if (request.deployment !== undefined) {
    if (!authorizeAzure(request, response, apiKey)) return false;
    if (request.method !== 'POST' || !request.apiVersion) {
      sendAzureError(response, 404, 'Resource not found');
      return false;
    }
    return true;
  }
  if (!authorize(request, response, apiKey)) return false;
  if (!isPostTo(request, '/v1/chat/completions')) {
    sendError(response, 404, {
      message: `Invalid URL (${request.method} ${request.path})`,
      type: 'invalid_request_error',
    });
    return false;
  }
  return true;
}

function record(incoming: IncomingMessage, body: unknown): RecordedRequest {
  const request = recordRequest(incoming, body);
  const url = new URL(request.path, 'http://fake.invalid');
  const deployment = AZURE_CHAT_PATH.exec(url.pathname)?.[1];
  const apiVersion = url.searchParams.get('api-version');
  return {
    ...request,
    ...(deployment === undefined ? {} : { deployment: decodeURIComponent(deployment) }),
    ...(apiVersion === null ? {} : { apiVersion }),
  };
}

/**
 * A loopback fake of the OpenAI Chat Completions HTTP API: real SSE
 * streaming with `chat.completion.chunk` objects and a usage chunk, the
 * documented error bodies, Bearer authentication, and knobs for delays,
 * dropped connections and in-stream errors. It also serves Azure OpenAI's
 * deployment path (`/openai/deployments/{deployment}/chat/completions?api-version=…`,
 * `api-key` header, prompt-filter chunk and content-filter annotations).
 * The handler computes each reply from the request.
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const { origin, ...fake } = await startFakeHttpServer<RecordedRequest, FakeOpenAIHandler>({
    name: 'OpenAI',
    handler: options.handler ?? DEFAULT_HANDLER,
    record,
    async handle(request, response, context) {
      if (!admit(request, response, options.apiKey)) return;
      if (!context.parsed) {
        sendError(response, 400, {
          message: 'We could not parse the JSON body of your request.',
          type: 'invalid_request_error',
        });
        return;
      }
      const reply = await context.handler(request);
      if ('status' in reply) {
        if (!(await pause(reply.delayMs, response))) return;
        if ('body' in reply) sendJson(response, reply.status, reply.body, reply.headers);
        else sendError(response, reply.status, reply.error, reply.headers);
        return;
      }
      await sendCompletion(reply, request, response);
    },
    fail: (response, message) => sendError(response, 500, { message, type: 'server_error' }),
  });
  return { url: `${origin}/v1`, endpoint: origin, ...fake };
}
