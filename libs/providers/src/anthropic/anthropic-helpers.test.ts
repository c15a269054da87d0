import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import { parseAnthropicResetMs } from './anthropic-rate-limit.js';
import { collectMessageStream } from './collect-message-stream.js';
import { mapAnthropicHttpError, mapAnthropicStreamError, streamErrorKind } from './map-anthropic-error.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

const now = Date.parse('2026-11-25T20:20:00.000Z');
const context = {
  provider: 'anthropic' as const,
  timedOut: false,
  aborted: false,
  timeoutMs: 1000,
  secrets: ['sk-ant-secret-key-123456'],
  now,
};
const body = (type: string, message: string, errorCode?: string) => ({
  type: 'error',
  error: { type, message, ...(errorCode ? { details: { error_code: errorCode } } : {}) },
  request_id: 'req_1',
});

describe('mapAnthropicStopReason', () => {
  it('maps every documented stop reason', () => {
    expect(
      [
        'end_turn',
        'stop_sequence',
        'tool_use',
        'max_tokens',
        'model_context_window_exceeded',
        'refusal',
        'pause_turn',
        null,
      ].map(mapAnthropicStopReason),
    ).toEqual(['stop', 'stop', 'stop', 'length', 'length', 'content-filter', 'other', 'other']);
  });
});

describe('parseAnthropicResetMs', () => {
  it('waits for the latest reset among exhausted limits, else among all', () => {
    const headers = {
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-11-25T20:20:30Z',
      'anthropic-ratelimit-tokens-remaining': '5000',
      'anthropic-ratelimit-tokens-reset': '2026-11-25T20:21:30Z',
    };
    expect(parseAnthropicResetMs(headers, now)).toBe(30_000);
    expect(parseAnthropicResetMs({ ...headers, 'anthropic-ratelimit-requests-remaining': '3' }, now)).toBe(90_000);
    expect(
      parseAnthropicResetMs(
        new Headers({ 'anthropic-ratelimit-output-tokens-reset': '2026-11-25T20:20:01.500Z' }),
        now,
      ),
    ).toBe(1_500);
  });

  it('ignores missing and invalid timestamps, and never waits a negative time', () => {
    expect(parseAnthropicResetMs({}, now)).toBeUndefined();
    expect(parseAnthropicResetMs({ 'anthropic-ratelimit-requests-reset': 'soon' }, now)).toBeUndefined();
    expect(parseAnthropicResetMs({ 'anthropic-ratelimit-requests-reset': '2026-11-25T20:19:00Z' }, now)).toBe(0);
  });
});

describe('mapAnthropicHttpError', () => {
  it('follows the status, keeps the error type (or details.error_code) as the code', () => {
    expect(mapAnthropicHttpError(529, new Headers(), body('overloaded_error', 'Overloaded'), context)).toMatchObject({
      kind: 'transient',
      statusCode: 529,
      code: 'overloaded_error',
    });
    expect(
      mapAnthropicHttpError(402, new Headers(), body('billing_error', 'Your credit balance is too low'), context),
    ).toMatchObject({ kind: 'permanent', code: 'billing_error' });
    expect(
      mapAnthropicHttpError(
        413,
        new Headers(),
        body('request_too_large', 'Request exceeds the maximum allowed number of bytes.'),
        context,
      ),
    ).toMatchObject({ kind: 'permanent' });
    expect(
      mapAnthropicHttpError(
        400,
        new Headers(),
        body('invalid_request_error', 'temperature: Extra inputs are not permitted', 'extra_inputs'),
        context,
      ),
    ).toMatchObject({ kind: 'permanent', code: 'extra_inputs' });
    expect(mapAnthropicHttpError(502, new Headers(), 'Bad gateway', context)).toMatchObject({
      kind: 'transient',
      statusCode: 502,
      message: 'anthropic answered HTTP 502',
    });
  });

  it('prefers Retry-After to the reset headers, and strips the key', () => {
    const headers = new Headers({
      'retry-after': '4',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-11-25T20:20:30Z',
    });
    expect(mapAnthropicHttpError(429, headers, body('rate_limit_error', 'slow down'), context)).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 4_000,
    });
    headers.delete('retry-after');
    expect(mapAnthropicHttpError(429, headers, body('rate_limit_error', 'slow down'), context)).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: 30_000,
      code: 'rate_limit_error',
    });
    expect(
      mapAnthropicHttpError(401, undefined, body('authentication_error', 'bad key sk-ant-secret-key-123456'), context)
        .message,
    ).not.toContain('secret');
  });
});

describe('stream errors', () => {
  it('takes the kind from the error type', () => {
    expect(
      ['rate_limit_error', 'overloaded_error', 'api_error', 'invalid_request_error', undefined].map(streamErrorKind),
    ).toEqual(['rate-limited', 'transient', 'transient', 'permanent', 'transient']);
    expect(mapAnthropicStreamError(body('api_error', 'Internal server error'), context)).toMatchObject({
      kind: 'transient',
      code: 'api_error',
      message: 'anthropic reported an error in the middle of the stream (api_error): Internal server error',
    });
    expect(mapAnthropicStreamError('garbage', context)).toMatchObject({ kind: 'transient', code: undefined });
  });
});

async function* events(list: unknown[]): AsyncIterable<RawMessageStreamEvent> {
  // Test data shaped like the wire events; only the fields the collector reads matter.
  for (const event of list) yield event as RawMessageStreamEvent;
}

describe('collectMessageStream', () => {
  it(
    'keeps cumulative usage fields that message_delta leaves null, and takes a tool input given whole at its ' +
      'start',
    async () => {
      let clock = 0;
      const collected = await collectMessageStream(
        events([
          {
            type: 'message_start',
            message: {
              id: 'msg_1',
              model: 'claude-x',
              usage: {
                input_tokens: 10,
                output_tokens: 1,
                cache_creation_input_tokens: 5,
                cache_read_input_tokens: null,
              },
            },
          },
          {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'tool_use', id: 'toolu_1', name: 'other', input: { a: 1 } },
          },
          {
            type: 'content_block_start',
            index: 1,
            content_block: { type: 'tool_use', id: 'toolu_2', name: 'report_alerts', input: { alerts: [] } },
          },
          {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json: '{"ignored":true}' },
          },
          {
            type: 'message_delta',
            delta: { stop_reason: 'tool_use', stop_sequence: null, stop_details: null },
            usage: { output_tokens: 7, input_tokens: null },
          },
          { type: 'message_stop' },
        ]),
        0,
        'report_alerts',
        () => ++clock,
      );
      expect(collected).toMatchObject({
        toolInput: '{"alerts":[]}',
        text: '',
        ttftMs: 1,
        stopReason: 'tool_use',
        complete: true,
        responseId: 'msg_1',
      });
      expect(collected.usage).toEqual({ inputTokens: 15, outputTokens: 7, cacheWriteInputTokens: 5 });
    },
  );
});
