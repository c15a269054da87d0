import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { RecordedRequest } from './fake-openai.js';

/** How a streamed answer stops early, after `afterChunks` content deltas. */
export interface FakeMistralInterruption {
  afterChunks: number;
  /**
   * `reset` drops the connection; `end` closes the response cleanly without a finish reason or `[DONE]`;
   * `finish-error` sends the documented `finish_reason: "error"` chunk and `[DONE]`;
   * `error-event` sends an error object as an SSE data event and closes the response.
   */
  mode: 'reset' | 'end' | 'finish-error' | 'error-event';
}

/** Answer with this content, streamed as several deltas when the request asked for a stream. */
export interface FakeMistralContentReply {
  content: string;
  /** Characters per content delta. @defaultValue about a fifth of the content (at least 1) */
  chunkSize?: number;
  /** Reasoning streamed as `thinking` content chunks before the answer (magistral models). */
  thinking?: string;
  /** @defaultValue 'stop' */
  finishReason?: 'stop' | 'length' | 'model_length' | 'error' | 'tool_calls';
  /** Token counts to report. @defaultValue estimates from the request and content sizes; no cache details */
  usage?: { promptTokens?: number; completionTokens?: number; cachedTokens?: number };
  /** The model named in the answer. @defaultValue the requested model */
  model?: string;
  /** Wait this long before sending anything, headers included. */
  delayMs?: number;
  /** Streams only: after the headers and the role chunk, wait this long before the first content delta. */
  firstTokenDelayMs?: number;
  /** Streams only: wait this long between content deltas. */
  chunkDelayMs?: number;
  /** Streams only: stop early. */
  interrupt?: FakeMistralInterruption;
}

/** Answer with an HTTP error and a body in one of Mistral's documented shapes (see {@link mistralErrorBody}). */
export interface FakeMistralErrorReply {
  status: number;
  body: unknown;
  /** Extra response headers, e.g. `{ 'retry-after': '2' }` or `{ 'ratelimitbysize-reset': '28' }`. */
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type FakeMistralReply = FakeMistralContentReply | FakeMistralErrorReply;

/** Computes the reply to an authorised `POST /v1/chat/completions` from the request. */
export type FakeMistralHandler = (request: RecordedRequest) => FakeMistralReply | Promise<FakeMistralReply>;

export interface FakeMistralOptions {
  /** The only API key accepted. @defaultValue any `Bearer` token */
  apiKey?: string;
  /** @defaultValue answers `{"alerts":[]}` */
  handler?: FakeMistralHandler;
}

export interface FakeMistral {
  /** Server URL for the SDK (`serverURL`), without `/v1`: the SDK adds it. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  setHandler(handler: FakeMistralHandler): void;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/** Mistral's error object, as the API sends it: `{"object":"error","message","type","param","code"}`. */
export function mistralErrorBody(message: string, type: string, code: string | null = null) {
  return { object: 'error', message, type, param: null, code };
}

function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = Object.getOwnPropertyDescriptor(body, name)?.value;
  return value;
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

/** The rate-limit headers Mistral sends on every answer. */
const RATE_LIMIT_HEADERS = { 'ratelimitbysize-limit': '500000', 'ratelimitbysize-remaining': '499000', 'ratelimitbysize-reset': '28', 'ratelimitbysize-query-cost': '1000' };

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function splitContent(content: string, chunkSize: number | undefined): string[] {
  const characters = Array.from(content);
  const size = Math.max(1, chunkSize ?? Math.ceil(characters.length / 5));
  const pieces: string[] = [];
  for (let index = 0; index < characters.length; index += size) pieces.push(characters.slice(index, index + size).join(''));
  return pieces;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(text: string): { ok: true; body: unknown } | { ok: false } {
  if (text === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Answers the `Authorization: Bearer` check the way Mistral does; true when the request may go on. */
function authorize(request: RecordedRequest, response: ServerResponse, apiKey: string | undefined): boolean {
  const header = request.headers.authorization;
  const key = typeof header === 'string' ? /^Bearer (.+)$/.exec(header)?.[1] : undefined;
  if (key === undefined || (apiKey !== undefined && key !== apiKey)) {
    sendJson(response, 401, { detail: 'Unauthorized' });
    return false;
  }
  return true;
}

function usageOf(reply: FakeMistralContentReply, request: RecordedRequest) {
  const promptTokens = reply.usage?.promptTokens ?? Math.ceil(JSON.stringify(field(request.body, 'messages') ?? '').length / 4);
  const completionTokens = reply.usage?.completionTokens ?? Math.max(1, Math.ceil(reply.content.length / 4));
  const cached = reply.usage?.cachedTokens;
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
  };
}

let sequence = 0;

async function sendCompletion(reply: FakeMistralContentReply, request: RecordedRequest, response: ServerResponse): Promise<void> {
  if (!(await pause(reply.delayMs, response))) return;
  const requestedModel = field(request.body, 'model');
  const base = { id: `cmpl-fake${++sequence}`, created: Math.floor(Date.now() / 1000), model: reply.model ?? (typeof requestedModel === 'string' ? requestedModel : 'unknown') };
  const headers = { ...RATE_LIMIT_HEADERS, 'mistral-correlation-id': `fake-${sequence}` };
  const finishReason = reply.finishReason ?? 'stop';
  if (field(request.body, 'stream') !== true) {
    const choice = { index: 0, message: { role: 'assistant', content: reply.content, tool_calls: null }, finish_reason: finishReason };
    sendJson(response, 200, { ...base, object: 'chat.completion', choices: [choice], usage: usageOf(reply, request) }, headers);
    return;
  }
  const send = (delta: Record<string, unknown>, finish: string | null = null, usage?: unknown) => {
    const chunk = { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  send({ role: 'assistant', content: '' });
  if (!(await pause(reply.firstTokenDelayMs, response))) return;
  if (reply.thinking) send({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: reply.thinking }] }] });
  const interrupt = reply.interrupt;
  let sent = 0;
  for (const piece of splitContent(reply.content, reply.chunkSize)) {
    if (interrupt && sent >= interrupt.afterChunks) break;
    if (sent > 0 && !(await pause(reply.chunkDelayMs, response))) return;
    send({ content: piece });
    sent += 1;
  }
  if (interrupt) {
    await interruptStream(interrupt, response, () => send({ content: '' }, 'error', usageOf(reply, request)));
    return;
  }
  send({ content: '' }, finishReason, usageOf(reply, request));
  response.end('data: [DONE]\n\n');
}

async function interruptStream(interrupt: FakeMistralInterruption, response: ServerResponse, sendFinishError: () => void): Promise<void> {
  switch (interrupt.mode) {
    case 'end':
      response.end();
      return;
    case 'finish-error':
      sendFinishError();
      response.end('data: [DONE]\n\n');
      return;
    case 'error-event':
      response.end(`data: ${JSON.stringify(mistralErrorBody('Internal server error', 'internal_server_error', '3000'))}\n\n`);
      return;
    case 'reset':
      // Let the deltas reach the client, then drop the connection mid-stream.
      await pause(20, response);
      response.destroy();
      return;
  }
}

/**
 * A loopback fake of Mistral's chat completions HTTP API (`POST /v1/chat/completions`):
 * Bearer authentication, SSE `chat.completion.chunk` events with usage on the
 * last chunk and `data: [DONE]`, the rate-limit headers, the documented error
 * bodies, and knobs for delays, dropped connections and in-stream errors.
 */
export async function startFakeMistral(options: FakeMistralOptions = {}): Promise<FakeMistral> {
  let handler: FakeMistralHandler = options.handler ?? (() => ({ content: '{"alerts":[]}' }));
  const requests: RecordedRequest[] = [];

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const parsed = parseBody(await readBody(incoming));
    const request: RecordedRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body: parsed.ok ? parsed.body : undefined };
    requests.push(request);
    if (!authorize(request, response, options.apiKey)) return;
    if (request.method !== 'POST' || request.path.split('?')[0] !== '/v1/chat/completions') {
      sendJson(response, 404, { detail: 'Not Found' });
      return;
    }
    if (!parsed.ok) {
      sendJson(response, 400, mistralErrorBody('Invalid JSON body', 'invalid_request_error'));
      return;
    }
    const reply = await handler(request);
    if ('status' in reply) {
      if (!(await pause(reply.delayMs, response))) return;
      sendJson(response, reply.status, reply.body, reply.headers);
      return;
    }
    await sendCompletion(reply, request, response);
  }

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      sendJson(response, 500, mistralErrorBody(`fake handler failed: ${error instanceof Error ? error.message : String(error)}`, 'internal_server_error'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fake Mistral server has no port');
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
