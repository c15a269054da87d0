import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { chatMessages, type FakeOpenAI, startFakeOpenAI } from '@turbostream/testkit';
import { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisRequest } from '../provider.js';
import { analyzeWithRepair } from '../repair.js';
import { azureOpenAIBaseURL } from './azure-openai-base-url.js';
import { AZURE_OPENAI_DEFAULT_API_VERSION, createAzureOpenAIProvider } from './azure-openai-provider.js';
import { analysisRequest, ALERT, MODEL_ALERT, failure } from '../testing/provider-fixtures.js';

const API_KEY = '0123456789abcdef0123456789abcdef';
const DEPLOYMENT = 'turbostream-gpt4o';

const VALID = JSON.stringify({ alerts: [MODEL_ALERT] });

function request(overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return analysisRequest(DEPLOYMENT, overrides);
}

/** Azure's documented error body: `{"error":{"code","message"}}`. */
const azureError = (code: string, message: string) => ({ error: { code, message } });

describe('azure-openai provider (official SDK AzureOpenAI client against a loopback fake)', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const provider = (apiKey = API_KEY) => createAzureOpenAIProvider({ endpoint: `${fake.endpoint}/`, apiKey });

  it('streams an answer to the deployment path with the api-key header and api-version', async () => {
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 7,
      firstTokenDelayMs: 120,
      model: 'gpt-4o-2024-11-20',
      usage: { promptTokens: 1500, completionTokens: 60, cachedTokens: 1280 },
    }));
    const azure = provider();
    const result = await azure.analyze(request());
    expect(azure.id).toBe('azure-openai');
    expect(result.answer).toEqual({ alerts: [ALERT] });
    expect(result.usage).toEqual({ inputTokens: 1500, outputTokens: 60, cachedInputTokens: 1280 });
    expect(result.finishReason).toBe('stop');
    expect(result.timings.ttftMs).toBeGreaterThanOrEqual(100);
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.ttftMs);
    // Azure's first chunk (prompt filter results) has an empty id and model: the real ones are kept.
    expect(result.raw).toMatchObject({
      responseModel: 'gpt-4o-2024-11-20',
      responseId: expect.stringMatching(/^chatcmpl-/),
      finishReason: 'stop',
    });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe(
      `/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=${AZURE_OPENAI_DEFAULT_API_VERSION}`,
    );
    expect(sent?.deployment).toBe(DEPLOYMENT);
    expect(sent?.apiVersion).toBe('2024-10-21');
    expect(sent?.headers['api-key']).toBe(API_KEY);
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.body).toMatchObject({
      model: DEPLOYMENT,
      stream: true,
      stream_options: { include_usage: true },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'turbostream_alerts', strict: true, schema: MODEL_ANSWER_JSON_SCHEMA },
      },
      max_completion_tokens: 800,
      temperature: 0.2,
      messages: [{ role: 'system' }, { role: 'user' }],
    });
  });

  it('sends the api-version it is given, through the fetch it is given', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    const azure = createAzureOpenAIProvider({
      endpoint: fake.endpoint,
      apiKey: API_KEY,
      apiVersion: '2025-04-01-preview',
      fetch: counting,
    });
    await azure.analyze(request());
    expect(calls).toBe(1);
    expect(fake.requests[0]?.apiVersion).toBe('2025-04-01-preview');
  });

  it('turns 429 with retry-after-ms into rate-limited, then succeeds on the next call', async () => {
    const message =
      `Requests to the ChatCompletions_Create Operation under Azure OpenAI API ` +
      `version ${AZURE_OPENAI_DEFAULT_API_VERSION} have exceeded token rate limit of your current OpenAI S0 ` +
      `pricing tier. Please retry after 3 seconds.`;
    fake.setHandler(() => ({
      status: 429,
      headers: { 'retry-after': '4', 'retry-after-ms': '3500', 'x-ratelimit-remaining-tokens': '0' },
      body: azureError('429', message),
    }));
    const error = await failure(provider().analyze(request()));
    expect(error).toMatchObject({
      provider: 'azure-openai',
      kind: 'rate-limited',
      isRetryable: true,
      statusCode: 429,
      retryAfterMs: 3500,
      code: '429',
    });
    expect(error.message).toContain('exceeded token rate limit');
    expect(fake.requests).toHaveLength(1);

    fake.setHandler(() => ({ content: VALID }));
    expect((await provider().analyze(request())).answer).toEqual({ alerts: [ALERT] });
  });

  it(
    'turns 500 and 503 into transient errors with exactly one request each (SDK retries off), then ' + 'succeeds',
    async () => {
      fake.setHandler(() => ({
        status: 500,
        body: azureError('InternalServerError', 'The server had an error while processing your request.'),
      }));
      expect(await failure(provider().analyze(request()))).toMatchObject({
        provider: 'azure-openai',
        kind: 'transient',
        statusCode: 500,
      });
      expect(fake.requests).toHaveLength(1);

      fake.setHandler(() => ({
        status: 503,
        body: azureError(
          'ServiceUnavailable',
          'The service is temporarily unable to process your request. Please try again later.',
        ),
      }));
      expect(await failure(provider().analyze(request()))).toMatchObject({ kind: 'transient', statusCode: 503 });
      expect(fake.requests).toHaveLength(2);

      fake.setHandler(() => ({ content: VALID }));
      expect((await provider().analyze(request())).answer).toEqual({ alerts: [ALERT] });
      expect(fake.requests).toHaveLength(3);
    },
  );

  it('turns 401 into a permanent error whose message holds no key, even when the body echoes it', async () => {
    const wrongKey = 'fedcba9876543210fedcba9876543210';
    const error = await failure(provider(wrongKey).analyze(request()));
    expect(error).toMatchObject({
      provider: 'azure-openai',
      kind: 'permanent',
      isRetryable: false,
      statusCode: 401,
      code: '401',
    });
    expect(error.message).toContain('Access denied due to invalid subscription key');

    fake.setHandler((sent) => ({
      status: 401,
      body: azureError('401', `key ${String(sent.headers['api-key'])} is not valid`),
    }));
    const echoed = await failure(provider().analyze(request()));
    expect(echoed.kind).toBe('permanent');
    expect(echoed.message).not.toContain(API_KEY);
    expect(echoed.message).toContain('[redacted]');
  });

  it('repairs a malformed answer through analyzeWithRepair, sending it back as an assistant turn', async () => {
    let calls = 0;
    fake.setHandler(() => {
      calls += 1;
      return {
        content: calls === 1 ? 'Sure! Here are the alerts: {"alerts": [' : VALID,
        usage: { promptTokens: 1000 * calls, completionTokens: 10 * calls, cachedTokens: 0 },
      };
    });
    const result = await analyzeWithRepair(provider(), request());
    expect(result.repaired).toBe(true);
    expect(result.answer).toEqual({ alerts: [ALERT] });
    // Both calls were paid for.
    expect(result.usage).toEqual({ inputTokens: 3000, outputTokens: 30 });
    expect(fake.requests).toHaveLength(2);
    const repairRequest = fake.requests[1];
    if (!repairRequest) throw new Error('no repair request');
    const second = chatMessages(repairRequest);
    expect(second.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second[2]?.content).toBe('Sure! Here are the alerts: {"alerts": [');
    expect(second[3]?.content).toContain('not JSON');
  });

  it('reports a content_filter finish as content-filter, and a filtered, cut answer as invalid output', async () => {
    fake.setHandler(() => ({ content: VALID, finishReason: 'content_filter' }));
    expect((await provider().analyze(request())).finishReason).toBe('content-filter');

    fake.setHandler(() => ({ content: '{"alerts":[{"severity":"warning","title":"', finishReason: 'content_filter' }));
    const cut = await failure(provider().analyze(request()));
    expect(cut.kind).toBe('invalid-output');
    expect(cut.message).toContain('stopped by the content filter');
  });

  it('times out, as a transient error, when the first token never comes', async () => {
    fake.setHandler(() => ({ content: VALID, firstTokenDelayMs: 60_000 }));
    const started = performance.now();
    const error = await failure(provider().analyze(request({ timeoutMs: 300 })));
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ provider: 'azure-openai', kind: 'transient' });
    expect(error.message).toContain('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('fails, rather than answering empty, on an error event or a dropped connection mid-stream', async () => {
    fake.setHandler(() => ({
      content: VALID,
      chunkSize: 5,
      streamError: { afterChunks: 2, message: 'The model produced invalid content.' },
    }));
    const event = await failure(provider().analyze(request()));
    expect(event).toMatchObject({ provider: 'azure-openai', kind: 'transient' });
    expect(event.message).toContain('The model produced invalid content.');

    fake.setHandler(() => ({ content: VALID, chunkSize: 5, disconnectAfterChunks: 2 }));
    expect((await failure(provider().analyze(request()))).kind).toBe('transient');
  });

  it('refuses to start without a key or a valid endpoint', () => {
    expect(() => createAzureOpenAIProvider({ endpoint: fake.endpoint, apiKey: '' })).toThrow(/has no API key/);
    expect(() => createAzureOpenAIProvider({ endpoint: 'my-resource', apiKey: API_KEY })).toThrow(/no valid endpoint/);
  });
});

describe('azureOpenAIBaseURL', () => {
  it('adds /openai to a resource endpoint, once', () => {
    expect(azureOpenAIBaseURL('https://my-resource.openai.azure.com/')).toBe(
      'https://my-resource.openai.azure.com/openai',
    );
    expect(azureOpenAIBaseURL('https://my-resource.openai.azure.com')).toBe(
      'https://my-resource.openai.azure.com/openai',
    );
    expect(azureOpenAIBaseURL('https://my-resource.openai.azure.com/openai/')).toBe(
      'https://my-resource.openai.azure.com/openai',
    );
    expect(azureOpenAIBaseURL(' https://gateway.example.com/azure// ')).toBe(
      'https://gateway.example.com/azure/openai',
    );
  });

  it('rejects what is not an http(s) URL', () => {
    expect(azureOpenAIBaseURL('my-resource')).toBeUndefined();
    expect(azureOpenAIBaseURL('ftp://my-resource.openai.azure.com')).toBeUndefined();
  });
});

describe('fake OpenAI (testkit) serves the Azure deployment path', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('answers a non-streamed request from the SDK, recording the deployment and api-version', async () => {
    const client = new AzureOpenAI({
      apiKey: API_KEY,
      apiVersion: '2024-10-21',
      baseURL: `${fake.endpoint}/openai`,
      maxRetries: 0,
      organization: null,
      project: null,
    });
    const completion = await client.chat.completions.create({
      model: 'my-deployment',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('{"alerts":[]}');
    expect(fake.requests.at(-1)).toMatchObject({
      deployment: 'my-deployment',
      apiVersion: '2024-10-21',
      headers: { 'api-key': API_KEY },
    });
  });

  it('refuses a request without the api-key header, or without an api-version, with Azure error bodies', async () => {
    const url = `${fake.endpoint}/openai/deployments/d/chat/completions`;
    const headers = { 'content-type': 'application/json' };
    const noKey = await fetch(`${url}?api-version=2024-10-21`, {
      method: 'POST',
      body: '{}',
      headers: { ...headers, authorization: `Bearer ${API_KEY}` },
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({
      error: { code: '401', message: expect.stringContaining('Access denied due to invalid subscription key') },
    });
    const noVersion = await fetch(url, { method: 'POST', body: '{}', headers: { ...headers, 'api-key': API_KEY } });
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });
});
