import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { field, keyProblem, pause, recordRequest, sendJson, startFakeHttpServer } from './fake-http.js';
import { DEFAULT_FAKE_CONTENT, estimateCompletionTokens, estimatePromptTokens, splitContent } from './fake-reply.js';
import { FakeSseStream } from './fake-sse.js';

/** One request the fake received, as the SDK sent it. */
export interface FakeGeminiRequest {
  method: string;
  /** Path and query, e.g. `/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when there was none or it was not JSON). */
  body: unknown;
}

/** Answer with this text, streamed as several chunks on `streamGenerateContent`. */
export interface FakeGeminiContentReply {
  content: string;
  /** Characters per chunk. @defaultValue about a fifth of the content (at least 1) */
  chunkSize?: number;
  /** Candidate `finishReason` on the last chunk. @defaultValue 'STOP' */
  finishReason?: string;
  /**
   * Token counts for `usageMetadata`. @defaultValue estimates from the request and content sizes; no cached or thinking
   * tokens
   */
  usage?: { promptTokens?: number; candidatesTokens?: number; cachedTokens?: number; thoughtsTokens?: number };
  /** `modelVersion` in every chunk. @defaultValue the model in the path */
  modelVersion?: string;
  /** Wait this long before sending anything, headers included. */
  delayMs?: number;
  /** Streams only: send the headers, then wait this long before the first chunk. */
  firstTokenDelayMs?: number;
  /** Streams only: wait this long between chunks. */
  chunkDelayMs?: number;
  /** Streams only: stop after this many chunks, none of them with a `finishReason`. */
  disconnectAfterChunks?: number;
  /**
   * After `disconnectAfterChunks`: `reset` drops the connection, `end` closes the response cleanly. @defaultValue
   * 'reset'
   */
  disconnectMode?: 'reset' | 'end';
  /** A long-decode checkpoint: every candidate carries this `continuationToken` (a client may resume from it). */
  continuationToken?: string;
  /** Streams only: after `afterChunks` chunks, send `data: {"error":{…}}` and end the stream. */
  streamError?: { afterChunks: number; code: number; status: string; message: string };
}

/** The prompt itself is refused: one chunk with `promptFeedback.blockReason` and no candidates. */
export interface FakeGeminiBlockedReply {
  blockReason: string;
  blockReasonMessage?: string;
  delayMs?: number;
}

/** Answer with an HTTP error and Google's error body (`google.rpc.Status`). */
export interface FakeGeminiErrorReply {
  status: number;
  /**
   * `code` defaults to the HTTP status; `details` e.g. `[{ '@type': 'type.googleapis.com/google.rpc.RetryInfo',
   * retryDelay: '30s' }]`.
   */
  error: { code?: number; message: string; status: string; details?: unknown[] };
  /** Extra response headers, e.g. `{ 'retry-after': '2' }`. */
  headers?: Record<string, string>;
  delayMs?: number;
}

export type FakeGeminiReply = FakeGeminiContentReply | FakeGeminiBlockedReply | FakeGeminiErrorReply;

/** Computes the reply to an authorised `generateContent` / `streamGenerateContent` call. */
export type FakeGeminiHandler = (request: FakeGeminiRequest) => FakeGeminiReply | Promise<FakeGeminiReply>;

export interface FakeGeminiOptions {
  /** The only API key accepted. @defaultValue any key */
  apiKey?: string;
  /** @defaultValue answers `{"alerts":[]}` */
  handler?: FakeGeminiHandler;
}

export interface FakeGemini {
  /** Base URL for the SDK (`httpOptions.baseUrl`): the server root, without an API version. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: FakeGeminiRequest[];
  setHandler(handler: FakeGeminiHandler): void;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/** The `contents` of a recorded request as role and joined text, for handlers that answer from the prompt. */
export function fakeGeminiContents(request: FakeGeminiRequest): { role: string; text: string }[] {
  const contents = field(request.body, 'contents');
  if (!Array.isArray(contents)) return [];
  return contents.map((content: unknown) => {
    const role = field(content, 'role');
    const parts = field(content, 'parts');
    const text = Array.isArray(parts)
      ? parts
          .map((part: unknown) => field(part, 'text'))
          .filter((piece) => typeof piece === 'string')
          .join('')
      : '';
    return { role: typeof role === 'string' ? role : '', text };
  });
}

function sendGeminiJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, body, { 'content-type': 'application/json; charset=UTF-8', ...headers });
}

function sendError(
  response: ServerResponse,
  status: number,
  error: FakeGeminiErrorReply['error'],
  headers?: Record<string, string>,
): void {
  sendGeminiJson(
    response,
    status,
    {
      error: {
        code: error.code ?? status,
        message: error.message,
        status: error.status,
        ...(error.details ? { details: error.details } : {}),
      },
    },
    headers,
  );
}

/** Answers the API key check the way the Gemini API does; true when the request may go on. */
function authorize(
  request: FakeGeminiRequest,
  url: URL,
  response: ServerResponse,
  apiKey: string | undefined,
): boolean {
  const header = request.headers['x-goog-api-key'];
  const problem = keyProblem(typeof header === 'string' ? header : (url.searchParams.get('key') ?? undefined), apiKey);
  if (problem === 'missing') {
    sendError(response, 403, {
      message:
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or " +
        'other form of API consumer identity to call this API.',
      status: 'PERMISSION_DENIED',
    });
    return false;
  }
  if (problem === 'invalid') {
    sendError(response, 400, {
      message: 'API key not valid. Please pass a valid API key.',
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
      ],
    });
    return false;
  }
  return true;
}

const ROUTE = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const DEFAULT_HANDLER: FakeGeminiHandler = () => ({ content: DEFAULT_FAKE_CONTENT });
let sequence = 0;

function usageOf(reply: FakeGeminiContentReply, request: FakeGeminiRequest, final: boolean) {
  const prompt = reply.usage?.promptTokens ?? estimatePromptTokens(request.body, 'contents');
  const candidates = reply.usage?.candidatesTokens ?? estimateCompletionTokens(reply.content);
  const thoughts = reply.usage?.thoughtsTokens ?? 0;
  const cached = reply.usage?.cachedTokens ?? 0;
  if (!final)
    return {
      promptTokenCount: prompt,
      totalTokenCount: prompt + thoughts,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    };
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(cached > 0
      ? { cachedContentTokenCount: cached, cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cached }] }
      : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/**
 * The `GenerateContentResponse` chunks for a content reply; `complete` adds the finish reason and the final usage to
 * the last one.
 */
function contentChunks(
  reply: FakeGeminiContentReply,
  request: FakeGeminiRequest,
  model: string,
  complete: boolean,
): unknown[] {
  const base = { modelVersion: reply.modelVersion ?? model, responseId: `fake-gemini-${++sequence}` };
  const split = splitContent(reply.content, reply.chunkSize);
  const pieces = split.length > 0 ? split : [''];
  return pieces.map((text, index) => {
    const last = complete && index === pieces.length - 1;
    const candidate = {
      content: { parts: [{ text }], role: 'model' },
      ...(last ? { finishReason: reply.finishReason ?? 'STOP' } : {}),
      ...(reply.continuationToken ? { continuationToken: reply.continuationToken } : {}),
      index: 0,
    };
    return { candidates: [candidate], usageMetadata: usageOf(reply, request, last), ...base };
  });
}

async function sendStream(
  reply: FakeGeminiContentReply,
  request: FakeGeminiRequest,
  model: string,
  response: ServerResponse,
): Promise<void> {
  const stopAfter = reply.disconnectAfterChunks ?? reply.streamError?.afterChunks;
  const chunks = contentChunks(reply, request, model, stopAfter === undefined);
  const sse = new FakeSseStream(response, '\r\n');
  sse.open({ 'content-type': 'text/event-stream', 'x-content-type-options': 'nosniff' }, true);
  if (!(await sse.pause(reply.firstTokenDelayMs))) return;
  if (!(await sse.pieces(chunks, { stopAfter, delayMs: reply.chunkDelayMs }, (chunk) => sse.data(chunk)))) return;
  if (reply.streamError) {
    const { code, status, message } = reply.streamError;
    sse.data({ error: { code, message, status } });
    sse.end();
    return;
  }
  if (reply.disconnectAfterChunks !== undefined) {
    await sse.disconnect(reply.disconnectMode);
    return;
  }
  sse.end();
}

function blockedChunk(reply: FakeGeminiBlockedReply, request: FakeGeminiRequest, model: string): unknown {
  const feedback = {
    blockReason: reply.blockReason,
    ...(reply.blockReasonMessage ? { blockReasonMessage: reply.blockReasonMessage } : {}),
  };
  return {
    promptFeedback: feedback,
    usageMetadata: usageOf({ content: '' }, request, false),
    modelVersion: model,
    responseId: `fake-gemini-${++sequence}`,
  };
}

async function sendReply(
  reply: FakeGeminiReply,
  request: FakeGeminiRequest,
  route: { model: string; method: string; sse: boolean },
  response: ServerResponse,
): Promise<void> {
  if (!(await pause(reply.delayMs, response))) return;
  if ('status' in reply) return sendError(response, reply.status, reply.error, reply.headers);
  const stream = route.method === 'streamGenerateContent';
  if ('content' in reply && stream && route.sse) return sendStream(reply, request, route.model, response);
  const chunks =
    'content' in reply
      ? contentChunks(
          stream ? reply : { ...reply, chunkSize: Math.max(1, reply.content.length) },
          request,
          route.model,
          true,
        )
      : [blockedChunk(reply, request, route.model)];
  if (!stream) return sendGeminiJson(response, 200, chunks[0]);
  if (!route.sse) return sendGeminiJson(response, 200, chunks); // without `alt=sse` the stream is one JSON array
  const sse = new FakeSseStream(response, '\r\n');
  sse.open({ 'content-type': 'text/event-stream' });
  sse.end(chunks.map((chunk) => sse.frame(chunk)).join(''));
}

/**
 * A loopback fake of the Gemini Developer API (`generativelanguage`):
 * `models/{model}:streamGenerateContent?alt=sse` with `GenerateContentResponse`
 * chunks and running `usageMetadata`, `generateContent`, API key auth by the
 * `x-goog-api-key` header (or `?key=`), Google's error bodies, errors inside
 * the stream, blocked prompts, and knobs for delays and dropped connections.
 */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const { origin, ...fake } = await startFakeHttpServer<FakeGeminiRequest, FakeGeminiHandler>({
    name: 'Gemini',
    handler: options.handler ?? DEFAULT_HANDLER,
    record: recordRequest,
    async handle(request, response, context) {
      const url = new URL(request.path, 'http://fake.invalid');
      if (!authorize(request, url, response, options.apiKey)) return;
      const match = ROUTE.exec(url.pathname);
      if (request.method !== 'POST' || !match || !match[2] || !match[3]) {
        sendError(response, 404, {
          message: `Requested entity was not found: ${request.method} ${url.pathname}`,
          status: 'NOT_FOUND',
        });
        return;
      }
      if (!context.parsed) {
        sendError(response, 400, {
          message: 'Invalid JSON payload received. Unexpected token.',
          status: 'INVALID_ARGUMENT',
        });
        return;
      }
      const route = {
        model: decodeURIComponent(match[2]),
        method: match[3],
        sse: url.searchParams.get('alt') === 'sse',
      };
      await sendReply(await context.handler(request), request, route, response);
    },
    fail: (response, message) => sendError(response, 500, { message, status: 'INTERNAL' }),
  });
  return { url: origin, ...fake };
}
