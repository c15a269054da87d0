import type { ServerResponse } from 'node:http';
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
import type { RecordedRequest } from './fake-openai.js';
import {
  answerModel,
  DEFAULT_FAKE_CONTENT,
  estimateCompletionTokens,
  estimatePromptTokens,
  splitContent,
} from './fake-reply.js';
import { FakeSseStream, SSE_HEADERS } from './fake-sse.js';

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

/** The rate-limit headers Mistral sends on every answer. */
const RATE_LIMIT_HEADERS = {
  'ratelimitbysize-limit': '500000',
  'ratelimitbysize-remaining': '499000',
  'ratelimitbysize-reset': '28',
  'ratelimitbysize-query-cost': '1000',
};

/** Answers the `Authorization: Bearer` check the way Mistral does; true when the request may go on. */
function authorize(request: RecordedRequest, response: ServerResponse, apiKey: string | undefined): boolean {
  if (keyProblem(bearerToken(request.headers), apiKey) !== undefined) {
    sendJson(response, 401, { detail: 'Unauthorized' });
    return false;
  }
  return true;
}

function usageOf(reply: FakeMistralContentReply, request: RecordedRequest) {
  const promptTokens = reply.usage?.promptTokens ?? estimatePromptTokens(request.body, 'messages');
  const completionTokens = reply.usage?.completionTokens ?? estimateCompletionTokens(reply.content);
  const cached = reply.usage?.cachedTokens;
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
  };
}

let sequence = 0;

async function sendCompletion(
  reply: FakeMistralContentReply,
  request: RecordedRequest,
  response: ServerResponse,
): Promise<void> {
  if (!(await pause(reply.delayMs, response))) return;
  const base = {
    id: `cmpl-fake${++sequence}`,
    created: Math.floor(Date.now() / 1000),
    model: answerModel(reply.model, request.body),
  };
  const headers = { ...RATE_LIMIT_HEADERS, 'mistral-correlation-id': `fake-${sequence}` };
  const finishReason = reply.finishReason ?? 'stop';
  if (field(request.body, 'stream') !== true) {
    const choice = {
      index: 0,
      message: { role: 'assistant', content: reply.content, tool_calls: null },
      finish_reason: finishReason,
    };
    sendJson(
      response,
      200,
      { ...base, object: 'chat.completion', choices: [choice], usage: usageOf(reply, request) },
      headers,
    );
    return;
  }
  const sse = new FakeSseStream(response);
  const send = (delta: Record<string, unknown>, finish: string | null = null, usage?: unknown) =>
    sse.data({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    });
  sse.open({ ...SSE_HEADERS, ...headers });
  send({ role: 'assistant', content: '' });
  if (!(await sse.pause(reply.firstTokenDelayMs))) return;
  if (reply.thinking) send({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: reply.thinking }] }] });
  const interrupt = reply.interrupt;
  const pacing = { stopAfter: interrupt?.afterChunks, delayMs: reply.chunkDelayMs };
  if (!(await sse.pieces(splitContent(reply.content, reply.chunkSize), pacing, (piece) => send({ content: piece }))))
    return;
  if (interrupt) {
    await interruptStream(interrupt, sse, () => send({ content: '' }, 'error', usageOf(reply, request)));
    return;
  }
  send({ content: '' }, finishReason, usageOf(reply, request));
  sse.done();
}

async function interruptStream(
  interrupt: FakeMistralInterruption,
  sse: FakeSseStream,
  sendFinishError: () => void,
): Promise<void> {
  switch (interrupt.mode) {
    case 'end':
    case 'reset':
      await sse.disconnect(interrupt.mode);
      return;
    case 'finish-error':
      sendFinishError();
      sse.done();
      return;
    case 'error-event':
      sse.data(mistralErrorBody('Internal server error', 'internal_server_error', '3000'), true);
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
  const { origin, ...fake } = await startFakeHttpServer<RecordedRequest, FakeMistralHandler>({
    name: 'Mistral',
    handler: options.handler ?? (() => ({ content: DEFAULT_FAKE_CONTENT })),
    record: recordRequest,
    async handle(request, response, context) {
      if (!authorize(request, response, options.apiKey)) return;
      if (!isPostTo(request, '/v1/chat/completions')) {
        sendJson(response, 404, { detail: 'Not Found' });
        return;
      }
      if (!context.parsed) {
        sendJson(response, 400, mistralErrorBody('Invalid JSON body', 'invalid_request_error'));
        return;
      }
      const reply = await context.handler(request);
      if ('status' in reply) {
        if (!(await pause(reply.delayMs, response))) return;
        sendJson(response, reply.status, reply.body, reply.headers);
        return;
      }
      await sendCompletion(reply, request, response);
    },
    fail: (response, message) => sendJson(response, 500, mistralErrorBody(message, 'internal_server_error')),
  });
  return { url: origin, ...fake };
}
