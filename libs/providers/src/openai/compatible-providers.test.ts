import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import {
  chatMessages,
  type FakeOpenAI,
  type FakeOpenAIReply,
  type RecordedRequest,
  startFakeOpenAI,
} from '@turbostream/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOllamaProvider } from '../ollama/ollama-provider.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisUsage } from '../provider.js';
import { analyzeWithRepair } from '../repair.js';
import { createXAIProvider } from '../xai/xai-provider.js';
import { ALERT, MODEL_ALERT, failure, window } from '../testing/provider-fixtures.js';

// xAI and Ollama speak the same protocol (OpenAI Chat Completions) through the
// same SDK and shared implementation: one suite, run for each.

const VALID = JSON.stringify({ alerts: [MODEL_ALERT] });

function sent(fake: FakeOpenAI, index: number): RecordedRequest {
  const request = fake.requests[index];
  if (!request) throw new Error(`no request #${index} (${fake.requests.length} received)`);
  return request;
}

interface Case {
  id: 'xai' | 'ollama';
  model: string;
  /** The key the provider is given (xAI) or none (Ollama). */
  apiKey: string | undefined;
  create(fake: FakeOpenAI, apiKey?: string): AnalysisProvider;
  /** The Authorization header the SDK must send. */
  authorization: string;
  /** A streamed success as this server reports it, and the usage it maps to. */
  success: FakeOpenAIReply;
  usage: AnalysisUsage;
  /** An error body in this server's shape. */
  error(status: number, message: string): FakeOpenAIReply;
  /** The status this server uses when overloaded. */
  overloaded: number;
}

const XAI_KEY = 'xai-test-0123456789abcdefghijklmnop';
const cases: Case[] = [
  {
    id: 'xai',
    model: 'grok-4-fast',
    apiKey: XAI_KEY,
    create: (fake, apiKey = XAI_KEY) => createXAIProvider({ apiKey, baseURL: fake.url }),
    authorization: `Bearer ${XAI_KEY}`,
    // Reasoning models stream `reasoning_content` first; completion_tokens leaves the reasoning tokens out.
    success: {
      content: VALID,
      chunkSize: 7,
      reasoning: 'Prices rose from 61200 to 64210.',
      firstTokenDelayMs: 120,
      usage: { promptTokens: 1200, completionTokens: 40, cachedTokens: 1024, reasoningTokens: 300, totalTokens: 1540 },
    },
    usage: { inputTokens: 1200, outputTokens: 340, cachedInputTokens: 1024 },
    error: (status, message) => ({
      status,
      body: { code: status === 429 ? 'Some resource has been exhausted' : 'Internal error', error: message },
    }),
    overloaded: 503,
  },
  {
    id: 'ollama',
    model: 'llama3.2',
    apiKey: undefined,
    // A URL without a path, as users write it: `/v1` is added.
    create: (fake, apiKey) => createOllamaProvider({ baseURL: fake.endpoint, ...(apiKey ? { apiKey } : {}) }),
    authorization: 'Bearer ollama',
    // Ollama counts no cached tokens; older versions report no usage at all (tested below).
    success: {
      content: VALID,
      chunkSize: 7,
      firstTokenDelayMs: 120,
      usage: { promptTokens: 900, completionTokens: 45 },
    },
    usage: { inputTokens: 900, outputTokens: 45, cachedInputTokens: 0 },
    error: (status, message) => ({ status, error: { message, type: 'api_error' } }),
    overloaded: 503,
  },
];

describe.each(cases)('$id provider (official SDK against a loopback fake)', (testCase) => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const provider = () => testCase.create(fake);
  const request = (overrides: Partial<AnalysisRequest> = {}): AnalysisRequest => ({
    model: testCase.model,
    instructions: 'Alert on price moves over 1%.',
    window,
    maxTokens: 800,
    temperature: 0.2,
    timeoutMs: 5_000,
    ...overrides,
  });

  it('streams an answer with usage and time to first content token, and sends the documented request', async () => {
    fake.setHandler(() => testCase.success);
    const analyzer = provider();
    const result = await analyzer.analyze(request());
    expect(analyzer.id).toBe(testCase.id);
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(result.usage).toEqual(testCase.usage);
    expect(result.finishReason).toBe('stop');
    // Measured on the first content delta, after any reasoning deltas.
    expect(result.timings.ttftMs).toBeGreaterThanOrEqual(100);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.ttftMs);
    expect(result.raw).toMatchObject({ responseModel: testCase.model, finishReason: 'stop' });

    expect(fake.requests).toHaveLength(1);
    const first = sent(fake, 0);
    expect(first.method).toBe('POST');
    expect(first.path).toBe('/v1/chat/completions');
    expect(first.headers.authorization).toBe(testCase.authorization);
    expect(first.body).toMatchObject({
      model: testCase.model,
      stream: true,
      stream_options: { include_usage: true },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'turbostream_alerts', strict: true, schema: MODEL_ANSWER_JSON_SCHEMA },
      },
      max_tokens: 800,
      temperature: 0.2,
      messages: [{ role: 'system' }, { role: 'user' }],
    });
    expect(first.body).not.toHaveProperty('max_completion_tokens');
  });

  it('turns 429 with Retry-After into rate-limited, then succeeds on the next call', async () => {
    fake.setHandler(() => ({
      ...testCase.error(429, 'Too many requests: rate limit exceeded, please slow down.'),
      headers: { 'retry-after': '7' },
    }));
    const error = await failure(provider().analyze(request()));
    expect(error).toMatchObject({
      provider: testCase.id,
      kind: 'rate-limited',
      isRetryable: true,
      statusCode: 429,
      retryAfterMs: 7000,
    });
    expect(error.message).toContain('Too many requests');
    fake.setHandler(() => ({ content: VALID }));
    expect((await provider().analyze(request())).answer).toEqual({ alerts: [ALERT] });
  });

  it(
    'turns 500 and the overloaded status into transient errors with exactly one request each (SDK retries off), ' +
      'then succeeds',
    async () => {
      fake.setHandler(() => testCase.error(500, 'internal error'));
      expect(await failure(provider().analyze(request()))).toMatchObject({
        provider: testCase.id,
        kind: 'transient',
        statusCode: 500,
      });
      expect(fake.requests).toHaveLength(1);
      fake.setHandler(() => testCase.error(testCase.overloaded, 'server busy, please try again.'));
      expect(await failure(provider().analyze(request()))).toMatchObject({
        kind: 'transient',
        statusCode: testCase.overloaded,
      });
      expect(fake.requests).toHaveLength(2);
      fake.setHandler(() => ({ content: VALID }));
      expect((await provider().analyze(request())).answer).toEqual({ alerts: [ALERT] });
    },
  );

  it('turns 401 into a permanent error whose message holds no key, even when the body echoes it', async () => {
    const key = 'sk-local-gateway-0123456789abcdef';
    fake.setHandler((received) =>
      testCase.error(401, `unauthorized: ${String(received.headers.authorization)} (${key})`),
    );
    const error = await failure(testCase.create(fake, key).analyze(request()));
    expect(error).toMatchObject({ provider: testCase.id, kind: 'permanent', isRetryable: false, statusCode: 401 });
    expect(error.message).toContain('unauthorized');
    expect(error.message).not.toContain(key);
    expect(sent(fake, 0).headers.authorization).toBe(`Bearer ${key}`);
  });

  it('repairs a malformed answer through analyzeWithRepair, sending it back as an assistant turn', async () => {
    let calls = 0;
    fake.setHandler(() => {
      calls += 1;
      return {
        content:
          calls === 1
            ? JSON.stringify({ alerts: [{ severity: 'urgent', title: 't', summary: 's', evidence: [] }] })
            : VALID,
      };
    });
    const result = await analyzeWithRepair(provider(), request());
    expect(result).toMatchObject({ repaired: true, answer: { alerts: [ALERT] } });
    const second = chatMessages(sent(fake, 1));
    expect(second.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second[2]?.content).toContain('"severity":"urgent"');
    expect(second[3]?.content).toContain('alerts.0.severity');
  });

  it('times out, as a transient error, when the first token never comes', async () => {
    fake.setHandler(() => ({ content: VALID, firstTokenDelayMs: 60_000 }));
    const started = performance.now();
    const error = await failure(provider().analyze(request({ timeoutMs: 300 })));
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ provider: testCase.id, kind: 'transient' });
    expect(error.message).toContain('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('fails, rather than answering empty, on an error event or a dropped connection mid-stream', async () => {
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 5,
      streamError: { afterChunks: 2, message: 'model runner has unexpectedly stopped', type: 'api_error' },
    }));
    const event = await failure(provider().analyze(request()));
    expect(event).toMatchObject({ provider: testCase.id, kind: 'transient' });
    expect(event.message).toContain('model runner has unexpectedly stopped');

    fake.setHandler(() => ({ content: VALID, chunkSize: 5, disconnectAfterChunks: 2 }));
    expect((await failure(provider().analyze(request()))).kind).toBe('transient');
    fake.setHandler(() => ({ content: VALID, chunkSize: 100, disconnectAfterChunks: 1, disconnectMode: 'end' }));
    expect(await failure(provider().analyze(request()))).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('stream ended before the answer was complete'),
    });
  });

  it('counts usage a server does not report as zero', async () => {
    fake.setHandler(() => ({ content: VALID, usage: null }));
    const result = await provider().analyze(request());
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(result.answer).toEqual({ alerts: [ALERT] });
  });
});

describe('xai specifics', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  const request: AnalysisRequest = {
    model: 'grok-4',
    instructions: 'x',
    window,
    maxTokens: 100,
    temperature: 0,
    timeoutMs: 5_000,
  };

  it("reads xAI's wrong-key answer (400, {code, error}) as permanent, without the key", async () => {
    fake.setHandler((received) => ({
      status: 400,
      body: {
        code: 'Client specified an invalid argument',
        error:
          `Incorrect API key provided: ${String(received.headers.authorization).slice(7, 9)}***. You can ` +
          `obtain an API key from https://console.x.ai.`,
      },
    }));
    const error = await failure(createXAIProvider({ apiKey: XAI_KEY, baseURL: fake.url }).analyze(request));
    expect(error).toMatchObject({ provider: 'xai', kind: 'permanent', statusCode: 400 });
    expect(error.message).toContain('Incorrect API key provided');
  });

  it('treats a 429 for exhausted credits as permanent: waiting does not cure it', async () => {
    const message =
      'Your team 0b1c has either used all available credits or reached its monthly spending limit. To continue ' +
      'making API requests, please purchase more credits or raise your spending limit.';
    fake.setHandler(() => ({ status: 429, body: { code: 'Some resource has been exhausted', error: message } }));
    const error = await failure(createXAIProvider({ apiKey: XAI_KEY, baseURL: fake.url }).analyze(request));
    expect(error).toMatchObject({ kind: 'permanent', statusCode: 429, code: 'insufficient_quota' });
  });

  it('refuses to start without a key', () => {
    expect(() => createXAIProvider({ apiKey: '' })).toThrow(/has no API key/);
  });
});
