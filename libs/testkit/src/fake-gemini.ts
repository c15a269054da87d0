import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

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
  /** Token counts for `usageMetadata`. @defaultValue estimates from the request and content sizes; no cached or thinking tokens */
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
  /** After `disconnectAfterChunks`: `reset` drops the connection, `end` closes the response cleanly. @defaultValue 'reset' */
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
  /** `code` defaults to the HTTP status; `details` e.g. `[{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }]`. */
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

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.getOwnPropertyDescriptor(value, name)?.value;
}

/** The `contents` of a recorded request as role and joined text, for handlers that answer from the prompt. */
export function fakeGeminiContents(request: FakeGeminiRequest): { role: string; text: string }[] {
  const contents = field(request.body, 'contents');
  if (!Array.isArray(contents)) return [];
  return contents.map((content: unknown) => {
    const role = field(content, 'role');
    const parts = field(content, 'parts');
    const text = Array.isArray(parts) ? parts.map((part: unknown) => field(part, 'text')).filter((piece) => typeof piece === 'string').join('') : '';
    return { role: typeof role === 'string' ? role : '', text };
  });
}

function pause(ms: number | undefined, response: ServerResponse): Promise<boolean> {
  if (!ms || ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(!response.destroyed);
    }, ms);
    response.once('close', onClose);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, error: FakeGeminiErrorReply['error'], headers?: Record<string, string>): void {
  sendJson(response, status, { error: { code: error.code ?? status, message: error.message, status: error.status, ...(error.details ? { details: error.details } : {}) } }, headers);
}

function splitContent(content: string, chunkSize: number | undefined): string[] {
  const characters = Array.from(content);
  const size = Math.max(1, chunkSize ?? Math.ceil(characters.length / 5));
  const pieces: string[] = [];
  for (let index = 0; index < characters.length; index += size) pieces.push(characters.slice(index, index + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Answers the API key check the way the Gemini API does; true when the request may go on. */
function authorize(request: FakeGeminiRequest, url: URL, response: ServerResponse, apiKey: string | undefined): boolean {
  const header = request.headers['x-goog-api-key'];
  const key = typeof header === 'string' ? header : (url.searchParams.get('key') ?? undefined);
  if (key === undefined) {
    sendError(response, 403, {
      message: 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.',
      status: 'PERMISSION_DENIED',
    });
    return false;
  }
  if (apiKey !== undefined && key !== apiKey) {
    sendError(response, 400, {
      message: 'API key not valid. Please pass a valid API key.',
      status: 'INVALID_ARGUMENT',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }],
    });
    return false;
  }
  return true;
}

const ROUTE = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const DEFAULT_HANDLER: FakeGeminiHandler = () => ({ content: '{"alerts":[]}' });
let sequence = 0;

function usageOf(reply: FakeGeminiContentReply, request: FakeGeminiRequest, final: boolean) {
  const prompt = reply.usage?.promptTokens ?? Math.ceil(JSON.stringify(field(request.body, 'contents') ?? '').length / 4);
  const candidates = reply.usage?.candidatesTokens ?? Math.max(1, Math.ceil(reply.content.length / 4));
  const thoughts = reply.usage?.thoughtsTokens ?? 0;
  const cached = reply.usage?.cachedTokens ?? 0;
  if (!final) return { promptTokenCount: prompt, totalTokenCount: prompt + thoughts, promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }] };
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(cached > 0 ? { cachedContentTokenCount: cached, cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cached }] } : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/** The `GenerateContentResponse` chunks for a content reply; `complete` adds the finish reason and the final usage to the last one. */
function contentChunks(reply: FakeGeminiContentReply, request: FakeGeminiRequest, model: string, complete: boolean): unknown[] {
  const base = { modelVersion: reply.modelVersion ?? model, responseId: `fake-gemini-${++sequence}` };
  const pieces = splitContent(reply.content, reply.chunkSize);
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

async function sendStream(reply: FakeGeminiContentReply, request: FakeGeminiRequest, model: string, response: ServerResponse): Promise<void> {
  const stopAfter = reply.disconnectAfterChunks ?? reply.streamError?.afterChunks;
  const chunks = contentChunks(reply, request, model, stopAfter === undefined);
  response.writeHead(200, { 'content-type': 'text/event-stream', 'x-content-type-options': 'nosniff' });
  response.flushHeaders();
  if (!(await pause(reply.firstTokenDelayMs, response))) return;
  const send = (body: unknown) => response.write(`data: ${JSON.stringify(body)}\r\n\r\n`);
  for (const [index, chunk] of chunks.entries()) {
    if (stopAfter !== undefined && index >= stopAfter) break;
    if (index > 0 && !(await pause(reply.chunkDelayMs, response))) return;
    send(chunk);
  }
  if (reply.streamError) {
    const { code, status, message } = reply.streamError;
    send({ error: { code, message, status } });
    response.end();
    return;
  }
  if (reply.disconnectAfterChunks !== undefined && reply.disconnectMode !== 'end') {
    await pause(20, response);
    response.destroy();
    return;
  }
  response.end();
}

function blockedChunk(reply: FakeGeminiBlockedReply, request: FakeGeminiRequest, model: string): unknown {
  const feedback = { blockReason: reply.blockReason, ...(reply.blockReasonMessage ? { blockReasonMessage: reply.blockReasonMessage } : {}) };
  return { promptFeedback: feedback, usageMetadata: usageOf({ content: '' }, request, false), modelVersion: model, responseId: `fake-gemini-${++sequence}` };
}

async function sendReply(reply: FakeGeminiReply, request: FakeGeminiRequest, route: { model: string; method: string; sse: boolean }, response: ServerResponse): Promise<void> {
  if (!(await pause(reply.delayMs, response))) return;
  if ('status' in reply) return sendError(response, reply.status, reply.error, reply.headers);
  const stream = route.method === 'streamGenerateContent';
  if ('content' in reply && stream && route.sse) return sendStream(reply, request, route.model, response);
  const chunks = 'content' in reply
    ? contentChunks(stream ? reply : { ...reply, chunkSize: Math.max(1, reply.content.length) }, request, route.model, true)
    : [blockedChunk(reply, request, route.model)];
  if (!stream) return sendJson(response, 200, chunks[0]);
  if (!route.sse) return sendJson(response, 200, chunks); // without `alt=sse` the stream is one JSON array
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.end(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join(''));
}

/**
 * A loopback fake of the Gemini Developer API (`generativelanguage`):
 * `models/{model}:streamGenerateContent?alt=sse` with `GenerateContentResponse`
 * chunks and running `usageMetadata`, `generateContent`, API key auth by the
 * `x-goog-api-key` header (or `?key=`), Google's error bodies, errors inside
 * the stream, blocked prompts, and knobs for delays and dropped connections.
 */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  let handler = options.handler ?? DEFAULT_HANDLER;
  const requests: FakeGeminiRequest[] = [];

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(incoming);
    let body: unknown;
    let parsed = true;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = false;
    }
    const request: FakeGeminiRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body };
    requests.push(request);
    const url = new URL(request.path, 'http://fake.invalid');
    if (!authorize(request, url, response, options.apiKey)) return;
    const match = ROUTE.exec(url.pathname);
    if (request.method !== 'POST' || !match || !match[2] || !match[3]) {
      sendError(response, 404, { message: `Requested entity was not found: ${request.method} ${url.pathname}`, status: 'NOT_FOUND' });
      return;
    }
    if (!parsed) {
      sendError(response, 400, { message: 'Invalid JSON payload received. Unexpected token.', status: 'INVALID_ARGUMENT' });
      return;
    }
    const route = { model: decodeURIComponent(match[2]), method: match[3], sse: url.searchParams.get('alt') === 'sse' };
    await sendReply(await handler(request), request, route, response);
  }

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendError(response, 500, { message: `fake handler failed: ${error instanceof Error ? error.message : String(error)}`, status: 'INTERNAL' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fake Gemini server has no port');
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    setHandler(next) {
      handler = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
