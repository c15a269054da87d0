import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessages, type FakeAnthropic, startFakeAnthropic } from '@turbostream/testkit';
import { buildSystemPrompt } from '../prompt/system-prompt.js';
import type { AnalysisRequest } from '../provider.js';
import { analyzeWithRepair } from '../repair.js';
import { createAnthropicProvider } from './anthropic-provider.js';
import { analysisRequest, ALERT, MODEL_ALERT, failure } from '../testing/provider-fixtures.js';

const API_KEY = 'sk-ant-api03-test0123456789abcdefghijklmnop';

const ANSWER = JSON.stringify({ alerts: [MODEL_ALERT] });

function request(overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return analysisRequest('claude-sonnet-5-5', overrides);
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1_000).toISOString();

describe('anthropic provider (official SDK against a loopback fake)', () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const provider = () => createAnthropicProvider({ apiKey: API_KEY, baseURL: fake.url });
  const toolProvider = () => createAnthropicProvider({ apiKey: API_KEY, baseURL: fake.url, structuredOutput: 'tool' });

  it('streams a structured answer with usage and time to first token, and sends the documented request', async () => {
    fake.setHandler(() => ({
      content: ANSWER,
      chunkSize: 7,
      firstTokenDelayMs: 120,
      usage: { inputTokens: 210, outputTokens: 56, cacheReadInputTokens: 1024 },
    }));
    const result = await provider().analyze(request());
    expect(result.answer).toEqual({ alerts: [ALERT] });
    // Total input is input_tokens + cache writes + cache reads; output comes from message_delta (message_start says 1).
    expect(result.usage).toEqual({
      inputTokens: 1234,
      outputTokens: 56,
      cachedInputTokens: 1024,
      cacheWriteInputTokens: 0,
    });
    expect(result.finishReason).toBe('stop');
    expect(result.timings.ttftMs).toBeGreaterThanOrEqual(100);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.ttftMs);
    expect(result.raw).toMatchObject({
      responseModel: 'claude-sonnet-5-5',
      stopReason: 'end_turn',
      structuredOutput: 'json-schema',
    });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/messages');
    // SDK 1.x sends the key as a Bearer token and API version 2026-10-21.
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.headers['x-api-key']).toBeUndefined();
    expect(sent?.headers['anthropic-version']).toBe('2026-10-21');
    expect(sent?.headers['x-stainless-retry-count']).toBe('0');
    expect(sent?.body).toMatchObject({
      model: 'claude-sonnet-5-5',
      stream: true,
      max_tokens: 800,
      // One text block with the prompt cache breakpoint: the fixed part of the request is cached across windows.
      system: [
        {
          type: 'text',
          text: buildSystemPrompt('Alert on price moves over 1%.'),
          cache_control: { type: 'ephemeral' },
        },
      ],
      output_config: { format: { type: 'json_schema', schema: MODEL_ANSWER_JSON_SCHEMA } },
      messages: [{ role: 'user', content: expect.stringContaining('\n2,100,"64210.0"\n') }],
    });
    // 2026-10-21 rejects sampling parameters, so the temperature is not sent.
    expect(sent?.body).not.toHaveProperty('temperature');
    expect(sent?.body).not.toHaveProperty('tools');
    expect(sent?.body).not.toHaveProperty('tool_choice');
  });

  it('measures time to first token on a thinking delta and keeps thinking out of the answer', async () => {
    fake.setHandler(() => ({
      thinking: 'The price rose from 61200 to 64210, which is 4.9%.',
      content: ANSWER,
      firstTokenDelayMs: 120,
      chunkDelayMs: 30,
    }));
    const result = await provider().analyze(request());
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(result.timings.ttftMs).toBeGreaterThanOrEqual(100);
    // Five answer deltas 30 ms apart come after the first (thinking) delta.
    expect(result.timings.totalMs - result.timings.ttftMs).toBeGreaterThanOrEqual(100);
  });

  it('can force a tool call instead, reading the answer from input_json_delta', async () => {
    fake.setHandler(() => ({
      content: ANSWER,
      chunkSize: 9,
      usage: { inputTokens: 100, outputTokens: 40, cacheCreationInputTokens: 900 },
    }));
    const result = await toolProvider().analyze(request());
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(result.usage).toEqual({
      inputTokens: 1000,
      outputTokens: 40,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 900,
    });
    expect(result.finishReason).toBe('stop');
    expect(result.raw).toMatchObject({ stopReason: 'tool_use', structuredOutput: 'tool' });
    const sent = fake.requests[0];
    expect(sent?.body).toMatchObject({
      stream: true,
      max_tokens: 800,
      tools: [{ name: 'report_alerts', input_schema: MODEL_ANSWER_JSON_SCHEMA }],
      tool_choice: { type: 'tool', name: 'report_alerts', disable_parallel_tool_use: true },
    });
    expect(sent?.body).not.toHaveProperty('output_config');
  });

  it('maps max_tokens to a cut-off invalid answer and a refusal to invalid-output without a repair text', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[{"severity":"warning","title":"BTC', stopReason: 'max_tokens' }));
    const cut = await failure(provider().analyze(request()));
    expect(cut).toMatchObject({
      kind: 'invalid-output',
      message: expect.stringContaining('cut off at the token limit'),
    });

    fake.setHandler(() => ({
      content: '',
      stopReason: 'refusal',
      stopDetails: { category: 'cyber', explanation: 'This looks like exploit development.' },
    }));
    const refused = await failure(provider().analyze(request()));
    expect(refused).toMatchObject({ kind: 'invalid-output', code: 'refusal', isRetryable: false, output: undefined });
    expect(refused.message).toContain('refused to answer (cyber)');
  });

  it('turns 429 into rate-limited with Retry-After, else with the exhausted limit’s reset, then succeeds', async () => {
    const rateLimited = {
      type: 'rate_limit_error',
      message: 'This request would exceed the rate limit for your organization of 50 requests per minute.',
    };
    fake.setHandler(() => ({
      status: 429,
      headers: {
        'retry-after': '7',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': inSeconds(30),
      },
      error: rateLimited,
    }));
    const first = await failure(provider().analyze(request()));
    expect(first).toMatchObject({
      provider: 'anthropic',
      kind: 'rate-limited',
      isRetryable: true,
      statusCode: 429,
      retryAfterMs: 7000,
      code: 'rate_limit_error',
    });
    expect(first.message).toContain('exceed the rate limit');

    fake.setHandler(() => ({
      status: 429,
      headers: {
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': inSeconds(30),
        'anthropic-ratelimit-tokens-remaining': '12000',
        'anthropic-ratelimit-tokens-reset': inSeconds(90),
      },
      error: rateLimited,
    }));
    const second = await failure(provider().analyze(request()));
    expect(second.kind).toBe('rate-limited');
    expect(second.retryAfterMs).toBeGreaterThan(20_000);
    expect(second.retryAfterMs).toBeLessThanOrEqual(30_000);

    fake.setHandler(() => ({ content: ANSWER }));
    await expect(provider().analyze(request())).resolves.toMatchObject({ answer: { alerts: [ALERT] } });
    expect(fake.requests).toHaveLength(3);
  });

  it(
    'turns 500 and 529 overloaded into transient errors with one request each (SDK retries off), then ' + 'succeeds',
    async () => {
      fake.setHandler(() => ({
        status: 500,
        headers: { 'x-should-retry': 'true' },
        error: { type: 'api_error', message: 'Internal server error' },
      }));
      const internal = await failure(provider().analyze(request()));
      expect(internal).toMatchObject({ kind: 'transient', isRetryable: true, statusCode: 500, code: 'api_error' });
      expect(fake.requests).toHaveLength(1);

      fake.setHandler(() => ({ status: 529, error: { type: 'overloaded_error', message: 'Overloaded' } }));
      const overloaded = await failure(provider().analyze(request()));
      expect(overloaded).toMatchObject({
        kind: 'transient',
        statusCode: 529,
        code: 'overloaded_error',
        retryAfterMs: undefined,
      });
      expect(fake.requests).toHaveLength(2);

      fake.setHandler(() => ({ content: ANSWER }));
      await expect(provider().analyze(request())).resolves.toMatchObject({ answer: { alerts: [ALERT] } });
      expect(fake.requests).toHaveLength(3);
    },
  );

  it('turns 401 into a permanent error whose message holds no key, even when the body echoes it', async () => {
    const wrongKey = 'sk-ant-api03-wrong9876543210zyxwvutsrqpo';
    const error = await failure(createAnthropicProvider({ apiKey: wrongKey, baseURL: fake.url }).analyze(request()));
    expect(error).toMatchObject({
      kind: 'permanent',
      isRetryable: false,
      statusCode: 401,
      code: 'authentication_error',
    });
    expect(error.message).toContain('invalid x-api-key');
    expect(error.message).not.toContain(wrongKey);

    fake.setHandler((sent) => ({
      status: 401,
      error: {
        type: 'authentication_error',
        message: `invalid key in ${String(sent.headers.authorization)}; the key was ${API_KEY}`,
      },
    }));
    const echoed = await failure(provider().analyze(request()));
    expect(echoed.kind).toBe('permanent');
    expect(echoed.message).toContain('[redacted]');
    expect(echoed.message).not.toContain(API_KEY);
  });

  it(
    'repairs a malformed answer: the second request carries it back as an assistant turn with the ' + 'correction',
    async () => {
      const answers = ['Sure! Here are the alerts: {"alerts": [', ANSWER];
      fake.setHandler(() => ({ content: answers[fake.requests.length - 1] ?? ANSWER }));
      const result = await analyzeWithRepair(provider(), request());
      expect(result).toMatchObject({ answer: { alerts: [ALERT] }, repaired: true });
      expect(fake.requests).toHaveLength(2);
      const turns = anthropicMessages(fake.requests[1] ?? { method: '', path: '', headers: {}, body: undefined });
      expect(turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user']);
      expect(turns[1]?.content).toBe(answers[0]);
      expect(turns[2]?.content).toContain('That answer could not be used');
      expect(turns[2]?.content).toContain('not JSON');
    },
  );

  it('repairs a wrong-shaped tool input the same way', async () => {
    const wrong = JSON.stringify({ alerts: [{ ...ALERT, severity: 'urgent' }] });
    fake.setHandler(() => ({ content: fake.requests.length === 1 ? wrong : ANSWER }));
    const result = await analyzeWithRepair(toolProvider(), request());
    expect(result).toMatchObject({ answer: { alerts: [ALERT] }, repaired: true });
    const turns = anthropicMessages(fake.requests[1] ?? { method: '', path: '', headers: {}, body: undefined });
    expect(turns[1]).toEqual({ role: 'assistant', content: wrong });
    expect(turns[2]?.content).toContain('alerts.0.severity');
  });

  it('times out when the first token never comes, within about timeoutMs', async () => {
    fake.setHandler(() => ({ content: ANSWER, firstTokenDelayMs: 60_000 }));
    const started = Date.now();
    const error = await failure(provider().analyze(request({ timeoutMs: 300 })));
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringContaining('timeout') });
    expect(Date.now() - started).toBeLessThan(10_000);

    fake.setHandler(() => ({ content: ANSWER, delayMs: 60_000 }));
    const noHeaders = await failure(provider().analyze(request({ timeoutMs: 300 })));
    expect(noHeaders).toMatchObject({ kind: 'transient', message: expect.stringContaining('timeout') });
  });

  it('fails on an error event in the middle of the stream, never answering empty', async () => {
    fake.setHandler(() => ({
      content: ANSWER,
      chunkSize: 5,
      streamError: { afterChunks: 2, type: 'overloaded_error', message: 'Overloaded' },
    }));
    const overloaded = await failure(provider().analyze(request()));
    expect(overloaded).toMatchObject({
      kind: 'transient',
      code: 'overloaded_error',
      message: expect.stringContaining('in the middle of the stream (overloaded_error): Overloaded'),
    });

    fake.setHandler(() => ({
      content: ANSWER,
      streamError: { afterChunks: 0, type: 'rate_limit_error', message: 'Rate limited' },
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'rate-limited',
      code: 'rate_limit_error',
    });
  });

  it('fails, rather than answering, when the connection drops or the stream ends before message_stop', async () => {
    fake.setHandler(() => ({ content: ANSWER, chunkSize: 5, disconnectAfterChunks: 2 }));
    expect((await failure(provider().analyze(request()))).kind).toBe('transient');
    // Every delta of a complete, valid answer arrived, but not the end of the message: still a failure.
    fake.setHandler(() => ({ content: '{"alerts":[]}', chunkSize: 100, disconnectAfterChunks: 1 }));
    expect((await failure(provider().analyze(request()))).kind).toBe('transient');
    fake.setHandler(() => ({
      content: '{"alerts":[]}',
      chunkSize: 100,
      disconnectAfterChunks: 1,
      disconnectMode: 'end',
    }));
    const ended = await failure(provider().analyze(request()));
    expect(ended).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('stream ended before the answer was complete (13 characters received)'),
    });
  });

  it('reports a caller abort as a transient failure', async () => {
    fake.setHandler(() => ({ content: ANSWER, firstTokenDelayMs: 60_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(provider().analyze(request({ signal: controller.signal })));
    expect(error).toMatchObject({ kind: 'transient', message: 'anthropic request was aborted' });
  });

  it('refuses to start without an API key', () => {
    expect(() => createAnthropicProvider({ apiKey: '', baseURL: fake.url })).toThrow(/has no API key/);
  });
});
