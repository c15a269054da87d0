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
  earliestStop,
  estimateCompletionTokens,
  estimatePromptTokens,
  splitContent,
} from './fake-reply.js';
import { FakeSseStream, SSE_HEADERS } from './fake-sse.js';

/** Answer with this content: streamed as text deltas, or as a tool's input JSON. */
export interface FakeAnthropicContentReply {
  content: string;
  /** @defaultValue 'tool' when the request forces a tool (`tool_choice.type: 'tool'`), else 'text' */
  as?: 'text' | 'tool';
  /** A thinking block to stream before the answer. */
  thinking?: string;
  /** Characters per delta. @defaultValue about a fifth of the content (at least 1) */
  chunkSize?: number;
  /** @defaultValue 'tool_use' for a tool, else 'end_turn' */
  stopReason?:
    | 'end_turn'
    | 'max_tokens'
    | 'stop_sequence'
    | 'tool_use'
    | 'pause_turn'
    | 'refusal'
    | 'model_context_window_exceeded';
  /** `stop_details` for a refusal. */
  stopDetails?: { category: string | null; explanation: string | null };
  /** @defaultValue estimates from the request and content sizes, no cache use */
  usage?: {
    inputTokens?: number;
    outputTokens?: number;
    cacheReadInputTokens?: number;
    cacheCreationInputTokens?: number;
  };
  /** @defaultValue the requested model */
  model?: string;
  /** Wait this long before sending anything, headers included. */
  delayMs?: number;
  /** Streams only: after `message_start` and the first `content_block_start`, wait this long before the first delta. */
  firstTokenDelayMs?: number;
  /** Streams only: wait this long between answer deltas. */
  chunkDelayMs?: number;
  /** Streams only: stop after this many answer deltas, without `message_delta` or `message_stop`. */
  disconnectAfterChunks?: number;
  /** `reset` drops the connection, `end` closes the response cleanly. @defaultValue 'reset' */
  disconnectMode?: 'reset' | 'end';
  /** Streams only: after this many answer deltas, send `event: error` with this error and end the response. */
  streamError?: { afterChunks: number; type: string; message: string };
}

/** Answer with an HTTP error and the documented body `{"type":"error","error":{…},"request_id"}`. */
export interface FakeAnthropicErrorReply {
  status: number;
  error: { type: string; message: string };
  /** Extra response headers, e.g. `{ 'retry-after': '2' }`. */
  headers?: Record<string, string>;
  delayMs?: number;
}

export type FakeAnthropicReply = FakeAnthropicContentReply | FakeAnthropicErrorReply;

/** Computes the reply to an authorised, valid `POST /v1/messages`. */
export type FakeAnthropicHandler = (request: RecordedRequest) => FakeAnthropicReply | Promise<FakeAnthropicReply>;

export interface FakeAnthropicOptions {
  /** The only API key accepted (as `x-api-key` or `Authorization: Bearer`). @defaultValue any key */
  apiKey?: string;
  /**
   * Simulate the prompt cache: a request with `cache_control` breakpoints writes its prefix (tools, system, messages
   * up to the last breakpoint, with the model and output format) on first sight (`cache_creation_input_tokens`) and
   * reads it on every later request with the same prefix (`cache_read_input_tokens`); `input_tokens` is the rest.
   * A reply that gives its own cache counts wins. Unlike the real API, any prefix length is cached.
   * @defaultValue false: no cache use unless a reply says so
   */
  promptCache?: boolean;
  /** @defaultValue answers `{"alerts":[]}` */
  handler?: FakeAnthropicHandler;
}

export interface FakeAnthropic {
  /** Base URL for the SDK (the SDK adds `/v1/messages`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  setHandler(handler: FakeAnthropicHandler): void;
  close(): Promise<void>;
}

/** API versions the fake accepts in `anthropic-version`. 2026-10-21 rejects sampling parameters. */
const VERSIONS = new Set(['2023-06-01', '2026-10-21']);
const SAMPLING = ['temperature', 'top_p', 'top_k'];

/** The `messages` of a recorded request as role and text (string content or the text of its blocks). */
export function anthropicMessages(request: RecordedRequest): { role: string; content: string }[] {
  const messages = field(request.body, 'messages');
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((message: unknown) => {
    const role = field(message, 'role');
    const content = field(message, 'content');
    const text = Array.isArray(content)
      ? content
          .map((block: unknown) => field(block, 'text'))
          .filter((part) => typeof part === 'string')
          .join('')
      : content;
    return typeof role === 'string' && typeof text === 'string' ? [{ role, content: text }] : [];
  });
}

let sequence = 0;

function sendError(
  response: ServerResponse,
  status: number,
  error: { type: string; message: string },
  headers: Record<string, string> = {},
): void {
  const requestId = `req_fake${++sequence}`;
  sendJson(response, status, { type: 'error', error, request_id: requestId }, { 'request-id': requestId, ...headers });
}

interface Rejection {
  status: number;
  error: { type: string; message: string };
}

const rejection = (status: number, type: string, message: string): Rejection => ({ status, error: { type, message } });

/** The checks the real API makes before the model runs, in its order: the error to answer with, if any. */
function validate(request: RecordedRequest, apiKey: string | undefined): Rejection | undefined {
  const apiKeyHeader = request.headers['x-api-key'];
  // With both headers the API uses x-api-key.
  const problem = keyProblem(typeof apiKeyHeader === 'string' ? apiKeyHeader : bearerToken(request.headers), apiKey);
  if (problem === 'missing') return rejection(401, 'authentication_error', 'x-api-key header is required');
  if (problem === 'invalid') return rejection(401, 'authentication_error', 'invalid x-api-key');
  const version = request.headers['anthropic-version'];
  if (typeof version !== 'string')
    return rejection(400, 'invalid_request_error', 'anthropic-version: header is required');
  if (!VERSIONS.has(version))
    return rejection(400, 'invalid_request_error', `anthropic-version: invalid version '${version}'`);
  if (!isPostTo(request, '/v1/messages')) return rejection(404, 'not_found_error', 'Not found');
  if (typeof request.body !== 'object' || request.body === null)
    return rejection(400, 'invalid_request_error', 'There was an issue with the JSON body of your request.');
  const sampling =
    version === '2026-10-21' ? SAMPLING.find((name) => field(request.body, name) !== undefined) : undefined;
  if (sampling) return rejection(400, 'invalid_request_error', `${sampling}: Extra inputs are not permitted`);
  const missing = ['model', 'max_tokens', 'messages'].find((name) => field(request.body, name) === undefined);
  if (missing) return rejection(400, 'invalid_request_error', `${missing}: Field required`);
  return undefined;
}

/** The blocks of a request in the order the prompt cache keys on them: tools, system, then the messages' content. */
function cacheOrder(body: unknown): unknown[] {
  const tools = field(body, 'tools');
  const system = field(body, 'system');
  const messages = field(body, 'messages');
  return [
    ...(Array.isArray(tools) ? tools : []),
    ...(Array.isArray(system) ? system : system === undefined ? [] : [{ type: 'text', text: system }]),
    ...(Array.isArray(messages) ? messages : []).flatMap((message: unknown) => {
      const role = field(message, 'role');
      const content = field(message, 'content');
      return Array.isArray(content)
        ? content.map((block: unknown) => ({ role, block }))
        : [{ role, block: { type: 'text', text: content } }];
    }),
  ];
}

function hasBreakpoint(item: unknown): boolean {
  const control = field(item, 'cache_control') ?? field(field(item, 'block'), 'cache_control');
  return control !== undefined && control !== null;
}

/** The cacheable prefix of a request (up to and including its last breakpoint), or undefined without breakpoints. */
function cachedPrefix(body: unknown): string | undefined {
  const blocks = cacheOrder(body);
  const last = blocks.findLastIndex(hasBreakpoint);
  if (last < 0) return undefined;
  return JSON.stringify([field(body, 'model'), field(body, 'output_config'), ...blocks.slice(0, last + 1)]);
}

/** The simulated prompt cache: prefixes written so far. */
type PromptCache = Set<string>;

function usageOf(reply: FakeAnthropicContentReply, request: RecordedRequest, cache: PromptCache | undefined) {
  const output_tokens = reply.usage?.outputTokens ?? estimateCompletionTokens(reply.content);
  const prefix = cache ? cachedPrefix(request.body) : undefined;
  const explicit =
    reply.usage?.cacheCreationInputTokens !== undefined || reply.usage?.cacheReadInputTokens !== undefined;
  if (cache && prefix !== undefined && !explicit) {
    const whole = Math.ceil(JSON.stringify(cacheOrder(request.body)).length / 4);
    const cached = Math.min(whole, Math.ceil(prefix.length / 4));
    const hit = cache.has(prefix);
    cache.add(prefix);
    return {
      input_tokens: reply.usage?.inputTokens ?? whole - cached,
      output_tokens,
      cache_creation_input_tokens: hit ? 0 : cached,
      cache_read_input_tokens: hit ? cached : 0,
    };
  }
  return {
    input_tokens: reply.usage?.inputTokens ?? estimatePromptTokens(request.body, 'messages'),
    output_tokens,
    cache_creation_input_tokens: reply.usage?.cacheCreationInputTokens ?? 0,
    cache_read_input_tokens: reply.usage?.cacheReadInputTokens ?? 0,
  };
}

/** Sends the message: a JSON `Message`, or the documented SSE event sequence when `stream` is true. */
async function sendMessage(
  reply: FakeAnthropicContentReply,
  request: RecordedRequest,
  response: ServerResponse,
  cache: PromptCache | undefined,
): Promise<void> {
  if (!(await pause(reply.delayMs, response))) return;
  const toolChoice = field(request.body, 'tool_choice');
  const forcedTool = field(toolChoice, 'type') === 'tool' ? field(toolChoice, 'name') : undefined;
  const asTool = (reply.as ?? (forcedTool ? 'tool' : 'text')) === 'tool';
  const toolName =
    typeof forcedTool === 'string'
      ? forcedTool
      : String(field(field(field(request.body, 'tools'), '0'), 'name') ?? 'tool');
  const id = `msg_fake${++sequence}`;
  const usage = usageOf(reply, request, cache);
  const stopReason = reply.stopReason ?? (asTool ? 'tool_use' : 'end_turn');
  const stopDetails = reply.stopDetails ? { type: 'refusal', ...reply.stopDetails } : null;
  const answerBlock = asTool
    ? { type: 'tool_use', id: `toolu_fake${sequence}`, name: toolName, input: {}, caller: { type: 'direct' } }
    : { type: 'text', text: '', citations: null };
  const headers = { 'request-id': `req_fake${sequence}`, 'anthropic-organization-id': 'org_fake' };
  const message = {
    id,
    type: 'message',
    role: 'assistant',
    model: answerModel(reply.model, request.body),
    container: null,
    stop_sequence: null,
    diagnostics: null,
  };
  if (field(request.body, 'stream') !== true) {
    const block = asTool
      ? { ...answerBlock, input: JSON.parse(reply.content) as unknown }
      : { ...answerBlock, text: reply.content };
    sendJson(
      response,
      200,
      {
        ...message,
        content: [block],
        stop_reason: stopReason,
        stop_details: stopDetails,
        usage: { ...usage, service_tier: 'standard' },
      },
      headers,
    );
    return;
  }
  const sse = new FakeSseStream(response);
  const send = (type: string, data: Record<string, unknown>, last = false) => sse.event(type, { type, ...data }, last);
  sse.open({ ...SSE_HEADERS, ...headers });
  const startUsage = {
    ...usage,
    output_tokens: 1,
    cache_creation: { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
    service_tier: 'standard',
  };
  send('message_start', {
    message: { ...message, content: [], stop_reason: null, stop_details: null, usage: startUsage },
  });
  let index = 0;
  if (reply.thinking !== undefined) {
    send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    if (!(await sse.pause(reply.firstTokenDelayMs))) return;
    for (const piece of splitContent(reply.thinking, reply.chunkSize))
      send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
    send('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'c2lnbmF0dXJl' } });
    send('content_block_stop', { index });
    index += 1;
  }
  send('content_block_start', { index, content_block: answerBlock });
  send('ping', {});
  if (reply.thinking === undefined && !(await sse.pause(reply.firstTokenDelayMs))) return;
  const pacing = {
    stopAfter: earliestStop(reply.streamError?.afterChunks, reply.disconnectAfterChunks),
    delayMs: reply.chunkDelayMs,
  };
  const sendPiece = (piece: string) =>
    send('content_block_delta', {
      index,
      delta: asTool ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece },
    });
  if (!(await sse.pieces(splitContent(reply.content, reply.chunkSize), pacing, sendPiece))) return;
  if (reply.streamError) {
    send('error', { error: { type: reply.streamError.type, message: reply.streamError.message } });
    sse.end();
    return;
  }
  if (reply.disconnectAfterChunks !== undefined) {
    await sse.disconnect(reply.disconnectMode);
    return;
  }
  send('content_block_stop', { index });
  send('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null, stop_details: stopDetails, container: null },
    usage,
  });
  send('message_stop', {}, true);
}

const DEFAULT_HANDLER: FakeAnthropicHandler = () => ({ content: DEFAULT_FAKE_CONTENT });

/**
 * A loopback fake of the Anthropic Messages API: `POST /v1/messages` with
 * `x-api-key` or Bearer authentication and `anthropic-version`, the
 * documented SSE events (`message_start`, `content_block_*`, `ping`,
 * `message_delta`, `message_stop`, `error`), usage with cache fields (and,
 * with `promptCache`, a simulated prompt cache keyed on the request's
 * `cache_control` prefix), the documented error bodies, and knobs for delays,
 * dropped connections and errors in the middle of a stream.
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const cache: PromptCache | undefined = options.promptCache ? new Set() : undefined;
  const { origin, ...fake } = await startFakeHttpServer<RecordedRequest, FakeAnthropicHandler>({
    name: 'Anthropic',
    handler: options.handler ?? DEFAULT_HANDLER,
    record: recordRequest,
    async handle(request, response, context) {
      const rejected = validate(request, options.apiKey);
      if (rejected) {
        sendError(response, rejected.status, rejected.error);
        return;
      }
      const reply = await context.handler(request);
      if ('status' in reply) {
        if (!(await pause(reply.delayMs, response))) return;
        sendError(response, reply.status, reply.error, reply.headers);
        return;
      }
      await sendMessage(reply, request, response, cache);
    },
    fail: (response, message) => sendError(response, 500, { type: 'api_error', message }),
  });
  return { url: origin, ...fake };
}
