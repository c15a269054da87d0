import type { Window } from '@turbostream/contracts';
import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { buildPrompt } from '../prompt/build-prompt.js';
import { buildGeminiRequest, GEMINI_ANSWER_JSON_SCHEMA, geminiContents } from './build-gemini-request.js';
import { mapGeminiUsage } from './collect-gemini-stream.js';
import { parseGeminiErrorBody, parseGoogleDuration } from './gemini-error-body.js';
import { toGeminiJsonSchema } from './gemini-json-schema.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

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

describe('toGeminiJsonSchema', () => {
  it('keeps the answer schema whole: every keyword it uses is supported, additionalProperties included', () => {
    expect(GEMINI_ANSWER_JSON_SCHEMA).toEqual(MODEL_ANSWER_JSON_SCHEMA);
  });

  it('drops unsupported keywords at every level and leaves property names alone', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: {
        pattern: { type: 'string', pattern: '^a', minLength: 1 },
        list: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { x: { type: 'number', multipleOf: 2, minimum: 0 } },
          },
        },
        either: { anyOf: [{ type: 'string', const: 'a' }, { type: 'null' }] },
      },
      required: ['pattern'],
    };
    expect(toGeminiJsonSchema(schema)).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        pattern: { type: 'string' },
        list: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, properties: { x: { type: 'number', minimum: 0 } } },
        },
        either: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
      required: ['pattern'],
    });
  });
});

describe('gemini request building', () => {
  it('maps assistant turns to the model role', () => {
    const prompt = buildPrompt('i', window, { previousOutput: 'nope', problem: 'not JSON' });
    expect(geminiContents(prompt).map((content) => content.role)).toEqual(['user', 'model', 'user']);
    expect(geminiContents(prompt)[1]).toEqual({ role: 'model', parts: [{ text: 'nope' }] });
  });

  it('turns the SDK retries and stream resumption off, and passes deadline, signal and fetch', () => {
    const controller = new AbortController();
    const params = buildGeminiRequest(
      { model: 'm', instructions: 'i', window, maxTokens: 10, temperature: 0, timeoutMs: 1234 },
      { abortSignal: controller.signal, fetch: globalThis.fetch },
    );
    expect(params.config).toMatchObject({
      automaticContinuation: false,
      abortSignal: controller.signal,
      httpOptions: { timeout: 1234, fetch: globalThis.fetch },
      maxOutputTokens: 10,
      temperature: 0,
    });
    expect(params.config?.httpOptions?.retryOptions).toBeUndefined();
  });
});

describe('gemini finish reasons and usage', () => {
  it('maps finish reasons onto the shared vocabulary', () => {
    expect(mapGeminiFinishReason('STOP')).toBe('stop');
    expect(mapGeminiFinishReason('MAX_TOKENS')).toBe('length');
    for (const reason of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII'])
      expect(mapGeminiFinishReason(reason), reason).toBe('content-filter');
    expect(mapGeminiFinishReason('MALFORMED_FUNCTION_CALL')).toBe('error');
    expect(mapGeminiFinishReason('UNEXPECTED_TOOL_CALL')).toBe('tool-calls');
    for (const reason of ['OTHER', 'LANGUAGE', 'FINISH_REASON_UNSPECIFIED', 'SOMETHING_NEW', undefined])
      expect(mapGeminiFinishReason(reason), String(reason)).toBe('other');
  });

  it('counts thinking tokens as output and reports cached input only when given', () => {
    expect(
      mapGeminiUsage({
        promptTokenCount: 100,
        candidatesTokenCount: 20,
        thoughtsTokenCount: 30,
        cachedContentTokenCount: 64,
      }),
    ).toEqual({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 64 });
    expect(mapGeminiUsage({ promptTokenCount: 100 })).toEqual({ inputTokens: 100, outputTokens: 0 });
  });
});

describe('gemini error bodies', () => {
  const body = {
    error: {
      code: 429,
      message: 'Resource has been exhausted (e.g. check quota).',
      status: 'RESOURCE_EXHAUSTED',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '42s' },
      ],
    },
  };

  it('reads status, message and RetryInfo from an HTTP error body and from an in-stream error', () => {
    const expected = {
      code: 429,
      message: 'Resource has been exhausted (e.g. check quota).',
      status: 'RESOURCE_EXHAUSTED',
      retryDelayMs: 42_000,
    };
    expect(parseGeminiErrorBody(JSON.stringify(body))).toEqual(expected);
    expect(parseGeminiErrorBody(`got status: RESOURCE_EXHAUSTED. ${JSON.stringify(body)}`)).toEqual(expected);
    expect(parseGeminiErrorBody('{"error":{"code":500,"message":"x","status":"INTERNAL"}}')).toEqual({
      code: 500,
      message: 'x',
      status: 'INTERNAL',
      retryDelayMs: undefined,
    });
    expect(parseGeminiErrorBody('<html>502 Bad Gateway</html>')).toBeUndefined();
    expect(parseGeminiErrorBody('{"unexpected":true}')).toBeUndefined();
  });

  it('parses protobuf durations', () => {
    expect(parseGoogleDuration('30s')).toBe(30_000);
    expect(parseGoogleDuration('1.5s')).toBe(1_500);
    expect(parseGoogleDuration('0.000001s')).toBe(1);
    expect(parseGoogleDuration('30')).toBeUndefined();
    expect(parseGoogleDuration('soon')).toBeUndefined();
  });
});
