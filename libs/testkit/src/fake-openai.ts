import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

/** One request the fake received, as the SDK sent it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when there was none or it was not JSON). */
  body: unknown;
}

/** Answer with this content, streamed as several deltas when the request asked for a stream. */
export interface FakeContentReply {
  content: string;
  /** Characters per content delta. @defaultValue about a fifth of the content (at least 1) */
  chunkSize?: number;
  /** @defaultValue 'stop' */
  finishReason?: 'stop' | 'length' | 'content_filter';
  /** Token counts to report. @defaultValue estimates from the request and content sizes, 0 cached */
  usage?: { promptTokens?: number; completionTokens?: number; cachedTokens?: number };
  /** The model named in the answer. @defaultValue the requested model */
  model?: string;
  /** Wait this long before sending anything, headers included. */
  delayMs?: number;
  /** Streams only: after the headers and the role chunk, wait this long before the first content delta. */
  firstTokenDelayMs?: number;
  /** Streams only: wait this long between content deltas. */
  chunkDelayMs?: number;
  /** Streams only: drop the connection after this many content deltas, without `finish_reason` or `[DONE]`. */
  disconnectAfterChunks?: number;
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

export type FakeOpenAIReply = FakeContentReply | FakeErrorReply;

/** Computes the reply to an authorised `POST /v1/chat/completions` from the request. */
export type FakeOpenAIHandler = (request: RecordedRequest) => FakeOpenAIReply | Promise<FakeOpenAIReply>;

export interface FakeOpenAIOptions {
  /** The only API key accepted. @defaultValue any `Bearer` token */
  apiKey?: string;
  /** @defaultValue answers `{"alerts":[]}` */
  handler?: FakeOpenAIHandler;
}

export interface FakeOpenAI {
  /** Base URL for the SDK, ending in `/v1`. */
  readonly url: string;
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

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null && name in body ? (body as Record<string, unknown>)[name] : undefined;
}

/** Waits, unless the response closes first; true when the response is still open. */
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
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, error: FakeErrorReply['error'], headers?: Record<string, string>): void {
  sendJson(response, status, { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null } }, headers);
}

function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

function splitContent(content: string, chunkSize: number | undefined): string[] {
  const characters = Array.from(content);
  const size = Math.max(1, chunkSize ?? Math.ceil(characters.length / 5));
  const pieces: string[] = [];
  for (let index = 0; index < characters.length; index += size) pieces.push(characters.slice(index, index + size).join(''));
  return pieces;
}

export { sendError as fakeOpenAISendError };
export { field as fakeOpenAIField, maskKey, pause as fakeOpenAIPause, sendJson as fakeOpenAISendJson, splitContent };
export type { IncomingMessage };
