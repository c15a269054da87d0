import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeGemini, fakeGeminiContents, startFakeGemini } from '@turbostream/testkit';
import { buildSystemPrompt } from '../prompt/system-prompt.js';
import type { AnalysisRequest } from '../provider.js';
import { analyzeWithRepair } from '../repair.js';
import { createGeminiProvider } from './gemini-provider.js';
import { analysisRequest, ALERT, MODEL_ALERT, failure } from '../testing/provider-fixtures.js';

const API_KEY = 'AIzaSyTest-0123456789abcdefghijklmnopqr';
const MODEL = 'gemini-2.5-flash';
const STREAM_PATH = `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`;

const VALID = JSON.stringify({ alerts: [MODEL_ALERT] });
const RETRY_INFO = (delay: string) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay });

function request(overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return analysisRequest(MODEL, overrides);
}

describe('gemini provider (official @google/genai SDK against a loopback fake)', () => {
  let fake: FakeGemini;
  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const provider = () => createGeminiProvider({ apiKey: API_KEY, baseURL: fake.url });
  /** The turns of the n-th request the fake received. */
  const sentContents = (index: number) => {
    const sent = fake.requests[index];
    return sent ? fakeGeminiContents(sent) : [];
  };

  it('streams an answer with usage and time to first token, and sends the documented request', async () => {
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 9,
      firstTokenDelayMs: 120,
      usage: { promptTokens: 1234, candidatesTokens: 56, cachedTokens: 1024, thoughtsTokens: 200 },
    }));
    const result = await provider().analyze(request());
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(result.usage).toEqual({ inputTokens: 1234, outputTokens: 256, cachedInputTokens: 1024 });
    expect(result.finishReason).toBe('stop');
    expect(result.timings.ttftMs).toBeGreaterThanOrEqual(100);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.ttftMs);
    expect(result.raw).toMatchObject({ modelVersion: MODEL, finishReason: 'STOP' });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe(STREAM_PATH);
    expect(sent?.headers['x-goog-api-key']).toBe(API_KEY);
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.headers['x-server-timeout']).toBe('5');
    expect(sent?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: expect.stringContaining('\n2,100,"64210.0"\n') }] }],
      systemInstruction: { parts: [{ text: buildSystemPrompt('Alert on price moves over 1%.') }] },
      generationConfig: {
        responseMimeType: 'application/json',
        responseJsonSchema: MODEL_ANSWER_JSON_SCHEMA,
        maxOutputTokens: 800,
        temperature: 0.2,
        candidateCount: 1,
      },
    });
  });

  it('ignores the Google environment variables the SDK would otherwise read', async () => {
    vi.stubEnv('GOOGLE_API_KEY', 'AIzaSyFromTheEnvironment0000000000000000');
    vi.stubEnv('GOOGLE_GENAI_USE_VERTEXAI', 'true');
    vi.stubEnv('GOOGLE_CLOUD_PROJECT', 'someone-elses-project');
    vi.stubEnv('GOOGLE_CLOUD_LOCATION', 'us-central1');
    vi.stubEnv('GOOGLE_GEMINI_BASE_URL', 'http://127.0.0.1:9');
    vi.stubEnv('GOOGLE_GENAI_API_VERSION', 'v1');
    fake.setHandler(() => ({ content: '{"alerts":[]}' }));
    await expect(provider().analyze(request())).resolves.toMatchObject({ answer: { alerts: [] } });
    expect(fake.requests.map((sent) => [sent.path, sent.headers['x-goog-api-key']])).toEqual([[STREAM_PATH, API_KEY]]);
  });

  it('turns 429 into rate-limited, waiting for the larger of Retry-After and RetryInfo, then succeeds', async () => {
    const quota = 'You exceeded your current quota, please check your plan and billing details.';
    fake.setHandler(() => ({
      status: 429,
      headers: { 'retry-after': '7' },
      error: { message: quota, status: 'RESOURCE_EXHAUSTED', details: [RETRY_INFO('30s')] },
    }));
    const both = await failure(provider().analyze(request()));
    expect(both).toMatchObject({
      provider: 'gemini',
      kind: 'rate-limited',
      isRetryable: true,
      statusCode: 429,
      retryAfterMs: 30_000,
      code: 'RESOURCE_EXHAUSTED',
    });
    expect(both.message).toContain('You exceeded your current quota');

    fake.setHandler(() => ({
      status: 429,
      error: { message: quota, status: 'RESOURCE_EXHAUSTED', details: [RETRY_INFO('1.5s')] },
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 1500 });
    fake.setHandler(() => ({
      status: 429,
      headers: { 'retry-after': '7' },
      error: { message: quota, status: 'RESOURCE_EXHAUSTED' },
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 7000 });
    expect(fake.requests).toHaveLength(3);

    fake.setHandler(() => ({ content: VALID }));
    await expect(provider().analyze(request())).resolves.toMatchObject({ answer: { alerts: [ALERT] } });
  });

  it(
    'turns 500 INTERNAL and 503 UNAVAILABLE into transient errors with exactly one request each (no SDK ' + 'retries)',
    async () => {
      fake.setHandler(() => ({
        status: 500,
        error: {
          message:
            'An internal error has occurred. Please retry or report in ' +
            'https://developers.generativeai.google/guide/troubleshooting',
          status: 'INTERNAL',
        },
      }));
      expect(await failure(provider().analyze(request()))).toMatchObject({
        kind: 'transient',
        isRetryable: true,
        statusCode: 500,
        code: 'INTERNAL',
      });
      expect(fake.requests).toHaveLength(1);

      fake.setHandler(() => ({
        status: 503,
        error: { message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
      }));
      const overloaded = await failure(provider().analyze(request()));
      expect(overloaded).toMatchObject({ kind: 'transient', statusCode: 503, code: 'UNAVAILABLE' });
      expect(overloaded.message).toContain('The model is overloaded');
      expect(fake.requests).toHaveLength(2);

      fake.setHandler(() => ({ content: VALID }));
      await expect(provider().analyze(request())).resolves.toMatchObject({ answer: { alerts: [ALERT] } });
      expect(fake.requests).toHaveLength(3);
    },
  );

  it('turns 401 into a permanent error whose message holds no key, even when the body echoes it', async () => {
    fake.setHandler((sent) => ({
      status: 401,
      error: {
        message: `Request had invalid authentication credentials: ${String(sent.headers['x-goog-api-key'])}`,
        status: 'UNAUTHENTICATED',
      },
    }));
    const error = await failure(provider().analyze(request()));
    expect(error).toMatchObject({ kind: 'permanent', isRetryable: false, statusCode: 401, code: 'UNAUTHENTICATED' });
    expect(error.message).toContain('invalid authentication credentials');
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).not.toContain(API_KEY.slice(-12));
  });

  it('turns a wrong key (400 API_KEY_INVALID), 403 and 404 into permanent errors', async () => {
    const wrongKey = 'plainkey-9876543210zyxwvutsrqpo';
    const wrong = await failure(createGeminiProvider({ apiKey: wrongKey, baseURL: fake.url }).analyze(request()));
    expect(wrong).toMatchObject({
      kind: 'permanent',
      statusCode: 400,
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('API key not valid'),
    });
    expect(wrong.message).not.toContain(wrongKey);

    fake.setHandler(() => ({
      status: 403,
      error: { message: 'Permission denied: Consumer has been suspended.', status: 'PERMISSION_DENIED' },
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'permanent',
      statusCode: 403,
      code: 'PERMISSION_DENIED',
    });
    fake.setHandler(() => ({
      status: 404,
      error: { message: `models/${MODEL} is not found for API version v1beta`, status: 'NOT_FOUND' },
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'permanent',
      statusCode: 404,
      code: 'NOT_FOUND',
    });
  });

  it(
    'repairs a malformed answer through analyzeWithRepair, sending it back as a model turn with the ' + 'correction',
    async () => {
      fake.setHandler((sent) => ({
        content: fakeGeminiContents(sent).length === 1 ? 'Sure! Here are the alerts: {"alerts": [' : VALID,
      }));
      const result = await analyzeWithRepair(provider(), request());
      expect(result).toMatchObject({ answer: { alerts: [ALERT] }, repaired: true });
      expect(fake.requests).toHaveLength(2);
      const [user, model, correction] = sentContents(1);
      expect(user?.role).toBe('user');
      expect(user?.text).toContain('\n2,100,"64210.0"\n');
      expect(model).toEqual({ role: 'model', text: 'Sure! Here are the alerts: {"alerts": [' });
      expect(correction?.role).toBe('user');
      expect(correction?.text).toContain('not JSON');

      fake.requests.length = 0;
      fake.setHandler((sent) => ({
        content:
          fakeGeminiContents(sent).length === 1
            ? '{"alerts":[{"severity":"urgent","title":"x","summary":"y","evidence":[]}]}'
            : '{"alerts":[]}',
      }));
      const shape = await analyzeWithRepair(provider(), request());
      expect(shape).toMatchObject({ answer: { alerts: [] }, repaired: true });
      expect(sentContents(1)[2]?.text).toContain('alerts.0.severity');
    },
  );

  it('reports a cut-off or filtered answer as invalid output, and a blocked prompt as permanent', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[{"severity":"info","ti', finishReason: 'MAX_TOKENS' }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'invalid-output',
      message: expect.stringContaining('cut off at the token limit'),
    });
    fake.setHandler(() => ({ content: '', finishReason: 'SAFETY' }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'invalid-output',
      message: expect.stringContaining('stopped with SAFETY'),
    });
    fake.setHandler(() => ({ blockReason: 'PROHIBITED_CONTENT' }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'permanent',
      code: 'PROHIBITED_CONTENT',
      message: 'gemini blocked the prompt (PROHIBITED_CONTENT)',
    });
  });

  it('times out when the first token never comes, within about timeoutMs', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[]}', firstTokenDelayMs: 60_000 }));
    const started = Date.now();
    const error = await failure(provider().analyze(request({ timeoutMs: 300 })));
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringContaining('timeout') });
    expect(Date.now() - started).toBeLessThan(10_000);

    fake.setHandler(() => ({ content: '{"alerts":[]}', delayMs: 60_000 }));
    expect(await failure(provider().analyze(request({ timeoutMs: 300 })))).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('timeout'),
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('fails, rather than answering empty, when the stream breaks, and never resumes it on its own', async () => {
    fake.setHandler(() => ({ content: VALID, chunkSize: 5, disconnectAfterChunks: 2 }));
    expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'transient' });
    // Every character of a valid answer arrived, but no finishReason: still a failure.
    fake.setHandler(() => ({
      content: '{"alerts":[]}',
      chunkSize: 100,
      disconnectAfterChunks: 1,
      disconnectMode: 'end',
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('stream ended before the answer was complete'),
    });
    // A checkpoint token, then a drop: the SDK's automatic continuation would re-send the request to resume.
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 5,
      disconnectAfterChunks: 2,
      continuationToken: 'checkpoint-1',
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'transient' });
    expect(fake.requests).toHaveLength(3);
  });

  it('classifies an error event inside the stream by its code', async () => {
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 5,
      streamError: { afterChunks: 2, code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded.' },
    }));
    const overloaded = await failure(provider().analyze(request()));
    expect(overloaded).toMatchObject({
      kind: 'transient',
      statusCode: 503,
      code: 'UNAVAILABLE',
      message: expect.stringContaining('in the middle of the stream'),
    });
    fake.setHandler(() => ({
      content: VALID,
      streamError: { afterChunks: 1, code: 500, status: 'INTERNAL', message: 'An internal error has occurred.' },
    }));
    expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'transient', statusCode: 500 });
    expect(fake.requests).toHaveLength(2);
  });

  it('reports a caller abort as a transient failure', async () => {
    fake.setHandler(() => ({ content: '{"alerts":[]}', firstTokenDelayMs: 60_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(provider().analyze(request({ signal: controller.signal })));
    expect(error).toMatchObject({ kind: 'transient', message: 'gemini request was aborted' });
  });

  it('refuses to start without a key', () => {
    expect(() => createGeminiProvider({ apiKey: '' })).toThrow(/no API key/);
  });
});
