import type { CompletionEvent } from '@mistralai/mistralai/models/components';
import type { Window } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { buildMistralRequest } from './build-mistral-request.js';
import { collectMistralStream, deltaText, mapMistralUsage } from './collect-mistral-stream.js';
import { mapMistralFinishReason } from './map-mistral-finish-reason.js';
import { mistralRetryAfterMs, readMistralErrorBody } from './mistral-error-body.js';
import { normalizeMistralBaseURL } from './mistral-provider.js';

describe('mapMistralFinishReason', () => {
  it('maps every documented finish reason', () => {
    expect(mapMistralFinishReason('stop')).toBe('stop');
    expect(mapMistralFinishReason('length')).toBe('length');
    expect(mapMistralFinishReason('model_length')).toBe('length');
    expect(mapMistralFinishReason('error')).toBe('error');
    expect(mapMistralFinishReason('tool_calls')).toBe('tool-calls');
    expect(mapMistralFinishReason('something_new')).toBe('other');
    expect(mapMistralFinishReason(null)).toBe('other');
  });
});

describe('readMistralErrorBody', () => {
  it('reads the error object, with a string or a nested validation message', () => {
    expect(
      readMistralErrorBody(
        '{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}',
      ),
    ).toEqual({ message: 'Rate limit exceeded', type: 'rate_limited', code: '1300' });
    const nested = {
      object: 'error',
      message: { detail: [{ type: 'missing', loc: ['body', 'messages', 0, 'content'], msg: 'Field required' }] },
      type: 'invalid_request_error',
      param: null,
      code: null,
    };
    expect(readMistralErrorBody(JSON.stringify(nested))).toEqual({
      message: 'body.messages.0.content: Field required',
      type: 'invalid_request_error',
    });
  });

  it('reads the bare message and detail shapes, and keeps what it can of odd ones', () => {
    expect(readMistralErrorBody('{"message":"Unauthorized","request_id":"933f2339"}')).toEqual({
      message: 'Unauthorized',
    });
    expect(readMistralErrorBody('{"detail":"Unauthorized"}')).toEqual({ message: 'Unauthorized' });
    expect(readMistralErrorBody('{"detail":[{"loc":["body","model"],"msg":"Field required"},{"msg":"bad"}]}')).toEqual({
      message: 'body.model: Field required; bad',
    });
    expect(readMistralErrorBody('{"message":{"odd":true},"type":"server_error","code":3000}')).toEqual({
      type: 'server_error',
      code: '3000',
    });
    expect(readMistralErrorBody('<html> 502   Bad Gateway </html>')).toEqual({
      message: '<html> 502 Bad Gateway </html>',
    });
    expect(readMistralErrorBody('')).toEqual({});
    expect(readMistralErrorBody('[1,2]')).toEqual({});
  });
});

describe('mistralRetryAfterMs', () => {
  it('prefers Retry-After, then falls back to the size-based reset in seconds', () => {
    expect(mistralRetryAfterMs(new Headers({ 'retry-after': '7', 'ratelimitbysize-reset': '28' }))).toBe(7000);
    expect(mistralRetryAfterMs(new Headers({ 'ratelimitbysize-reset': '28' }))).toBe(28_000);
    expect(mistralRetryAfterMs({ 'x-ratelimitbysize-reset': '1.5' })).toBe(1500);
    expect(mistralRetryAfterMs({ 'ratelimitbysize-reset': 'soon' })).toBeUndefined();
    expect(mistralRetryAfterMs(undefined)).toBeUndefined();
  });
});

describe('collectMistralStream', () => {
  const chunk = (choice: Record<string, unknown> | undefined, usage?: Record<string, unknown>): CompletionEvent => ({
    data: {
      id: 'cmpl-1',
      model: 'magistral-small-latest',
      choices: choice ? [{ index: 0, finishReason: null, delta: {}, ...choice }] : [],
      ...(usage ? { usage } : {}),
    },
  });
  async function* events(...items: CompletionEvent[]) {
    yield* items;
  }

  it('adds up the answer text, leaves reasoning out, and times the first answer token', async () => {
    let clock = 0;
    const now = () => (clock += 10);
    const collected = await collectMistralStream(
      events(
        chunk({ delta: { role: 'assistant', content: '' } }),
        chunk({ delta: { content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] }] } }),
        chunk({ delta: { content: [{ type: 'text', text: '{"alerts":' }] } }),
        chunk(
          { delta: { content: '[]}' }, finishReason: 'stop' },
          { promptTokens: 12, completionTokens: 3, totalTokens: 15, prompt_tokens_details: { cached_tokens: 8 } },
        ),
      ),
      0,
      now,
    );
    expect(collected).toEqual({
      content: '{"alerts":[]}',
      ttftMs: 10,
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 8 },
      responseId: 'cmpl-1',
      responseModel: 'magistral-small-latest',
    });
  });

  it('reports no finish reason and no first token for a stream that ends early and empty', async () => {
    const collected = await collectMistralStream(
      events(chunk({ delta: { role: 'assistant', content: '' } }), chunk(undefined)),
      0,
    );
    expect(collected.finishReason).toBeUndefined();
    expect(collected.ttftMs).toBeUndefined();
    expect(collected.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('reads text only from text chunks, and usage without cache details', () => {
    expect(deltaText({ content: null })).toBe('');
    expect(
      deltaText({
        content: [
          { type: 'image_url', imageUrl: 'x' },
          { type: 'text', text: 'a' },
        ],
      }),
    ).toBe('a');
    expect(
      mapMistralUsage({ promptTokens: 5, completionTokens: 1, prompt_tokens_details: { cached_tokens: -1 } }),
    ).toEqual({ inputTokens: 5, outputTokens: 1 });
  });
});

describe('buildMistralRequest and the base URL', () => {
  const window: Window = {
    streamId: 's',
    windowId: '1-0',
    firstEntryId: '1-0',
    lastEntryId: '1-0',
    closedBy: 'messages',
    bytes: 2,
    from: 1,
    to: 1,
    messages: [{ id: '1-0', data: '{}', receivedAt: 1 }],
    gaps: [],
  };

  it('asks for strict JSON-schema output and adds the repair turns', () => {
    const body = buildMistralRequest({
      model: 'mistral-large-latest',
      instructions: 'x',
      window,
      maxTokens: 100,
      temperature: 0,
      timeoutMs: 1000,
      repair: { previousOutput: 'nope', problem: 'not JSON' },
    });
    expect(body).toMatchObject({
      model: 'mistral-large-latest',
      stream: true,
      maxTokens: 100,
      temperature: 0,
      responseFormat: { type: 'json_schema', jsonSchema: { name: 'turbostream_alerts', strict: true } },
    });
    expect(body.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(body.messages[2]?.content).toBe('nope');
  });

  it('strips a trailing /v1 and slashes, since the SDK adds /v1 itself', () => {
    expect(normalizeMistralBaseURL(undefined)).toBe('https://api.mistral.ai');
    expect(normalizeMistralBaseURL('https://api.mistral.ai/v1/')).toBe('https://api.mistral.ai');
    expect(normalizeMistralBaseURL('https://gateway.example/mistral/')).toBe('https://gateway.example/mistral');
  });
});
