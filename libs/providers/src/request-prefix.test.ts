/**
 * Prompt caching works on a request's prefix: the part that comes before anything that changes must be byte-identical
 * from one window of a stream to the next. For every provider: the fixed part (system text, the stream's instructions,
 * the answer's schema) comes first and is the same for two different windows of a stream; only the window's own
 * message differs.
 */
import { MODEL_ANSWER_JSON_SCHEMA, type Window } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { ANTHROPIC_CACHE_CONTROL, buildAnthropicRequest } from './anthropic/build-anthropic-request.js';
import { buildGeminiRequest, GEMINI_ANSWER_JSON_SCHEMA } from './gemini/build-gemini-request.js';
import { buildMistralRequest } from './mistral/build-mistral-request.js';
import { buildChatRequest } from './openai/build-chat-request.js';
import { buildPrompt } from './prompt/build-prompt.js';
import type { AnalysisRequest } from './provider.js';

const INSTRUCTIONS = 'Alert on price moves over 1%.';

function window(from: number, prices: number[]): Window {
  const messages = prices.map((price, index) => ({
    id: `${from + index * 250}-0`,
    data: JSON.stringify({ s: 'BTCUSDT', p: price.toFixed(1), q: (index % 3) + 0.5 }),
    receivedAt: from + index * 250,
  }));
  return {
    streamId: 'btc-trades',
    windowId: `${from}-0`,
    firstEntryId: `${from}-0`,
    lastEntryId: `${from + (prices.length - 1) * 250}-0`,
    closedBy: 'messages',
    bytes: 400,
    from,
    to: from + (prices.length - 1) * 250,
    messages,
    gaps: [],
  };
}

/** Two windows of one stream that differ in every way a window can: times, ids, sizes and data. */
const FIRST = window(1_764_102_000_000, [61_200, 61_210, 61_190]);
const SECOND = window(1_764_102_010_000, [61_190, 64_210, 64_300, 64_250, 64_100]);

function request(target: Window, model = 'model-x'): AnalysisRequest {
  return { model, instructions: INSTRUCTIONS, window: target, maxTokens: 800, temperature: 0.2, timeoutMs: 5_000 };
}

/** A request without the window's own message (the last one): what must stay byte-identical. */
function withoutLastMessage<T extends { messages: unknown[] }>(body: T): string {
  return JSON.stringify({ ...body, messages: body.messages.slice(0, -1) });
}

describe('the fixed part of every request comes first and is byte-identical across a stream’s windows', () => {
  it('the system prompt is the same text for two different windows, and differs from their user messages', () => {
    const first = buildPrompt(INSTRUCTIONS, FIRST);
    const second = buildPrompt(INSTRUCTIONS, SECOND);
    expect(second.system).toBe(first.system);
    expect(first.system).toContain(INSTRUCTIONS);
    expect(second.user).not.toBe(first.user);
    // Another stream's instructions give another prefix (nothing of one stream leaks into another's cache key).
    expect(buildPrompt('Alert on errors.', FIRST).system).not.toBe(first.system);
  });

  it('openai, azure-openai, xai, ollama (chat completions): system message first, response_format the same', () => {
    for (const parameter of ['max_completion_tokens', 'max_tokens'] as const) {
      const first = buildChatRequest(request(FIRST), parameter);
      const second = buildChatRequest(request(SECOND), parameter);
      expect(first.messages[0]).toEqual({ role: 'system', content: buildPrompt(INSTRUCTIONS, FIRST).system });
      expect(first.messages.map((message) => message.role)).toEqual(['system', 'user']);
      expect(withoutLastMessage(second)).toBe(withoutLastMessage(first));
      expect(JSON.stringify(second.response_format)).toBe(JSON.stringify(first.response_format));
      expect(first.response_format).toMatchObject({
        type: 'json_schema',
        json_schema: { schema: MODEL_ANSWER_JSON_SCHEMA },
      });
      expect(JSON.stringify(second)).not.toBe(JSON.stringify(first));
    }
  });

  it('anthropic: the answer schema (output_config or the tool) and the cached system block are the same', () => {
    for (const structuredOutput of ['json-schema', 'tool'] as const) {
      const build = (target: Window) =>
        buildAnthropicRequest({
          model: 'claude-x',
          maxTokens: 800,
          prompt: buildPrompt(INSTRUCTIONS, target),
          structuredOutput,
        });
      const first = build(FIRST);
      const second = build(SECOND);
      expect(first.system).toEqual([
        { type: 'text', text: buildPrompt(INSTRUCTIONS, FIRST).system, cache_control: ANTHROPIC_CACHE_CONTROL },
      ]);
      expect(ANTHROPIC_CACHE_CONTROL).toEqual({ type: 'ephemeral' });
      expect(first.messages.map((message) => message.role)).toEqual(['user']);
      // Everything but the window's message: tools, tool_choice, output_config, system.
      expect(withoutLastMessage(second)).toBe(withoutLastMessage(first));
      expect(JSON.stringify(second.messages)).not.toBe(JSON.stringify(first.messages));
    }
  });

  it('gemini: systemInstruction and responseJsonSchema are the same; contents hold only the window', () => {
    const call = { abortSignal: new AbortController().signal, fetch: globalThis.fetch };
    const first = buildGeminiRequest(request(FIRST), call);
    const second = buildGeminiRequest(request(SECOND), call);
    const fixed = (body: typeof first) => {
      const { abortSignal: _signal, httpOptions: _http, ...config } = body.config ?? {};
      return JSON.stringify({ model: body.model, config });
    };
    expect(fixed(second)).toBe(fixed(first));
    expect(first.config?.systemInstruction).toEqual({ parts: [{ text: buildPrompt(INSTRUCTIONS, FIRST).system }] });
    expect(first.config?.responseJsonSchema).toBe(GEMINI_ANSWER_JSON_SCHEMA);
    expect(JSON.stringify(second.contents)).not.toBe(JSON.stringify(first.contents));
  });

  it('mistral: system message first, responseFormat the same', () => {
    const first = buildMistralRequest(request(FIRST));
    const second = buildMistralRequest(request(SECOND));
    expect(first.messages[0]).toEqual({ role: 'system', content: buildPrompt(INSTRUCTIONS, FIRST).system });
    expect(withoutLastMessage(second)).toBe(withoutLastMessage(first));
    expect(JSON.stringify(second.responseFormat)).toBe(JSON.stringify(first.responseFormat));
  });

  it('a repair turn goes after the window: the prefix of the first call is kept', () => {
    const plain = buildChatRequest(request(FIRST));
    const repaired = buildChatRequest({ ...request(FIRST), repair: { previousOutput: 'nope', problem: 'not JSON' } });
    expect(JSON.stringify(repaired.messages.slice(0, 2))).toBe(JSON.stringify(plain.messages));
  });
});
