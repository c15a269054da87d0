import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatMessages, type FakeMistral, mistralErrorBody, startFakeMistral } from '@turbostream/testkit';
import type { AnalysisRequest } from '../provider.js';
import { analyzeWithRepair } from '../repair.js';
import { createMistralProvider } from './mistral-provider.js';
import { analysisRequest, ALERT, MODEL_ALERT, failure } from '../testing/provider-fixtures.js';

const API_KEY = 'mistral-test-0123456789abcdefghijklmn';

const VALID = JSON.stringify({ alerts: [MODEL_ALERT] });

function request(overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return analysisRequest('mistral-small-latest', overrides);
}

describe('mistral provider (official SDK against a loopback fake)', () => {
  let fake: FakeMistral;
  beforeAll(async () => {
    fake = await startFakeMistral({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const provider = () => createMistralProvider({ apiKey: API_KEY, baseURL: fake.url });

  it('streams an answer with usage and time to first token, and sends the documented request', async () => {
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 7,
      thinking: 'Prices rose; worth a warning.',
      firstTokenDelayMs: 120,
      usage: { promptTokens: 1013, completionTokens: 56, cachedTokens: 960 },
    }));
    const result = await provider().analyze(request());
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(result.usage).toEqual({ inputTokens: 1013, outputTokens: 56, cachedInputTokens: 960 });
    expect(result.finishReason).toBe('stop');
    expect(result.timings.ttftMs).toBeGreaterThanOrEqual(100);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.ttftMs);
    expect(result.raw).toMatchObject({ responseModel: 'mistral-small-latest', finishReason: 'stop' });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent?.headers.accept).toBe('text/event-stream');
    expect(sent?.body).toMatchObject({
      model: 'mistral-small-latest',
      stream: true,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'turbostream_alerts', strict: true, schema: MODEL_ANSWER_JSON_SCHEMA },
      },
      max_tokens: 800,
      temperature: 0.2,
      messages: [{ role: 'system' }, { role: 'user' }],
    });
    expect(JSON.stringify(sent?.body)).toContain(`\\n2,100,\\"64210.0\\"\\n`);
  });

  it('leaves cached tokens out when Mistral reports none, and accepts a base URL ending in /v1', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[]}', usage: { promptTokens: 40, completionTokens: 5 } }));
    const result = await createMistralProvider({ apiKey: API_KEY, baseURL: `${fake.url}/v1/` }).analyze(request());
    expect(result.usage).toEqual({ inputTokens: 40, outputTokens: 5 });
    expect(fake.requests[0]?.path).toBe('/v1/chat/completions');
  });

  it('sends every request through the fetch it is given', async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      seen.push(input instanceof Request ? input.url : String(input));
      return globalThis.fetch(input, init);
    };
    fake.setHandler(() => ({ content: '{"alerts":[]}' }));
    await createMistralProvider({ apiKey: API_KEY, baseURL: fake.url, fetch }).analyze(request());
    expect(seen).toEqual([`${fake.url}/v1/chat/completions`]);
  });

  it('turns 429 with Retry-After into a rate-limited error, then succeeds on the next call', async () => {
    fake.setHandler(() => ({
      status: 429,
      headers: { 'retry-after': '7', 'ratelimitbysize-reset': '28', 'ratelimitbysize-remaining': '0' },
      body: mistralErrorBody('Requests rate limit exceeded', 'rate_limited', '1300'),
    }));
    const error = await failure(provider().analyze(request()));
    expect(error).toMatchObject({
      provider: 'mistral',
      kind: 'rate-limited',
      isRetryable: true,
      statusCode: 429,
      retryAfterMs: 7000,
      code: '1300',
    });
    expect(error.message).toBe('mistral answered HTTP 429: Requests rate limit exceeded');
    expect(fake.requests).toHaveLength(1);

    fake.setHandler(() => ({ content: VALID }));
    const result = await provider().analyze(request());
    expect(result.answer.alerts).toHaveLength(1);
  });

  it(
    'waits out the size-based window when only ratelimitbysize-reset is given (capacity exceeded, older body ' +
      'shape)',
    async () => {
      fake.setHandler(() => ({
        status: 429,
        headers: { 'ratelimitbysize-reset': '28' },
        body: mistralErrorBody(
          'Service tier capacity exceeded for this model.',
          'service_tier_capacity_exceeded',
          '3505',
        ),
      }));
      const capacity = await failure(provider().analyze(request()));
      expect(capacity).toMatchObject({ kind: 'rate-limited', retryAfterMs: 28_000, code: '3505' });

      fake.setHandler(() => ({ status: 429, body: { message: 'Requests rate limit exceeded' } }));
      const bare = await failure(provider().analyze(request()));
      expect(bare).toMatchObject({
        kind: 'rate-limited',
        retryAfterMs: undefined,
        message: 'mistral answered HTTP 429: Requests rate limit exceeded',
      });
    },
  );

  it('turns 500 and 503 into transient errors, without retrying inside the SDK, then succeeds', async () => {
    fake.setHandler(() => ({
      status: 500,
      body: mistralErrorBody('Internal server error', 'internal_server_error', '3000'),
    }));
    const serverError = await failure(provider().analyze(request()));
    expect(serverError).toMatchObject({ kind: 'transient', isRetryable: true, statusCode: 500 });
    expect(fake.requests).toHaveLength(1);

    fake.setHandler(() => ({ status: 503, body: mistralErrorBody('Service unavailable', 'service_unavailable') }));
    const unavailable = await failure(provider().analyze(request()));
    expect(unavailable).toMatchObject({ kind: 'transient', statusCode: 503 });
    expect(fake.requests).toHaveLength(2);

    fake.setHandler(() => ({ content: VALID }));
    expect((await provider().analyze(request())).answer.alerts).toHaveLength(1);
    expect(fake.requests).toHaveLength(3);
  });

  it('turns 401 into a permanent error whose message holds no key', async () => {
    const wrongKey = 'mistral-wrong-9876543210zyxwvutsrqpo';
    const error = await failure(createMistralProvider({ apiKey: wrongKey, baseURL: fake.url }).analyze(request()));
    expect(error).toMatchObject({
      kind: 'permanent',
      isRetryable: false,
      statusCode: 401,
      message: 'mistral answered HTTP 401: Unauthorized',
    });
    expect(fake.requests).toHaveLength(1);

    fake.setHandler((sent) => ({
      status: 401,
      body: { message: `Unauthorized key ${API_KEY} (${String(sent.headers.authorization)})`, request_id: 'c61f2f15' },
    }));
    const echoed = await failure(provider().analyze(request()));
    expect(echoed).toMatchObject({ kind: 'permanent', statusCode: 401 });
    expect(echoed.message).toContain('Unauthorized key');
    expect(echoed.message).not.toContain(API_KEY);
  });

  it('turns a 422 validation error into a permanent error that names the field', async () => {
    fake.setHandler(() => ({
      status: 422,
      body: { detail: [{ type: 'missing', loc: ['body', 'model'], msg: 'Field required', input: {} }] },
    }));
    const error = await failure(provider().analyze(request()));
    expect(error).toMatchObject({
      kind: 'permanent',
      statusCode: 422,
      message: 'mistral answered HTTP 422: body.model: Field required',
    });
  });

  it('repairs a malformed answer once, sending the invalid answer back as an assistant turn', async () => {
    const answers = ['Sure! Here are the alerts: {"alerts": [', VALID];
    fake.setHandler(() => ({ content: answers.shift() ?? VALID }));
    const result = await analyzeWithRepair(provider(), request());
    expect(result.repaired).toBe(true);
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(fake.requests).toHaveLength(2);
    const second = fake.requests[1];
    const messages = second ? chatMessages(second) : [];
    expect(messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[2]?.content).toBe('Sure! Here are the alerts: {"alerts": [');
    expect(messages[3]?.content).toContain('That answer could not be used: answered with text that is not JSON');
  });

  it('rejects an answer of the wrong shape, or one cut off at the length limit, as invalid output', async () => {
    fake.setHandler(() => ({
      content: JSON.stringify({ alerts: [{ severity: 'urgent', title: 'x', summary: 'y', evidence: [] }] }),
    }));
    const wrongShape = await failure(provider().analyze(request()));
    expect(wrongShape).toMatchObject({ kind: 'invalid-output', message: expect.stringContaining('alerts.0.severity') });

    fake.setHandler(() => ({ content: '{"alerts":[{"severity":"info","ti', finishReason: 'model_length' }));
    const cut = await failure(provider().analyze(request()));
    expect(cut).toMatchObject({
      kind: 'invalid-output',
      message: expect.stringContaining('finish_reason model_length'),
    });
  });

  it('times out when the first token never comes, or the headers never come, within about timeoutMs', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[]}', firstTokenDelayMs: 60_000 }));
    const started = Date.now();
    const error = await failure(provider().analyze(request({ timeoutMs: 300 })));
    expect(error).toMatchObject({ kind: 'transient', message: 'mistral did not finish within 300 ms (timeout)' });
    expect(Date.now() - started).toBeLessThan(10_000);

    fake.setHandler(() => ({ content: '{"alerts":[]}', delayMs: 60_000 }));
    const noHeaders = await failure(provider().analyze(request({ timeoutMs: 300 })));
    expect(noHeaders).toMatchObject({ kind: 'transient', message: expect.stringContaining('timeout') });
  });

  it('fails, rather than answering empty, when the stream breaks in the middle', async () => {
    const interrupted = async (mode: 'reset' | 'end' | 'finish-error' | 'error-event', afterChunks = 2) => {
      fake.setHandler(() => ({ content: VALID, chunkSize: 5, interrupt: { afterChunks, mode } }));
      return failure(provider().analyze(request()));
    };
    expect(await interrupted('reset')).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('stream failed'),
    });
    expect(await interrupted('end')).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('stream ended before the answer was complete'),
    });
    expect(await interrupted('finish-error')).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('finish_reason "error"'),
    });
    expect(await interrupted('error-event')).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('stream event that is not a completion chunk'),
    });
    // Every delta of a complete, valid answer arrived, but not the end of the stream: still a failure.
    fake.setHandler(() => ({ content: '{"alerts":[]}', chunkSize: 100, interrupt: { afterChunks: 1, mode: 'end' } }));
    expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'transient' });
  });

  it('reports a caller abort as a transient failure', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[]}', firstTokenDelayMs: 60_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(provider().analyze(request({ signal: controller.signal })));
    expect(error).toMatchObject({ kind: 'transient', message: 'mistral request was aborted' });
  });

  it('refuses to start without an API key', () => {
    expect(() => createMistralProvider({ apiKey: '', baseURL: fake.url })).toThrow(
      expect.objectContaining({ kind: 'permanent' }),
    );
  });
});
