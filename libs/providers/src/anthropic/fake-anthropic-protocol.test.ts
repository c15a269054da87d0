import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from '@turbostream/testkit';

const API_KEY = 'sk-ant-api03-fake0123456789abcdefghijklmnop';

describe('fake Anthropic (testkit) speaks the documented protocol', () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2026-10-21',
        'x-api-key': API_KEY,
        ...headers,
      },
    });
  const minimal = {
    model: 'claude-sonnet-5-5',
    max_tokens: 100,
    messages: [{ role: 'user' as const, content: 'Hello' }],
  };

  it('answers a non-streamed request to the real SDK with a message and its usage', async () => {
    fake.setHandler(() => ({
      content: '{"alerts":[]}',
      usage: { inputTokens: 12, outputTokens: 6, cacheReadInputTokens: 4 },
    }));
    const client = new Anthropic({
      apiKey: API_KEY,
      baseURL: fake.url,
      maxRetries: 0,
      logLevel: 'off',
      openTelemetry: false,
    });
    const message = await client.messages.create(minimal);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: '{"alerts":[]}' }],
    });
    expect(message.usage).toMatchObject({
      input_tokens: 12,
      output_tokens: 6,
      cache_read_input_tokens: 4,
      cache_creation_input_tokens: 0,
    });
    expect(message._request_id).toMatch(/^req_/);
  });

  it('streams the documented event sequence', async () => {
    fake.setHandler(() => ({ content: 'Hello there', chunkSize: 6 }));
    const response = await post({ ...minimal, stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const names = [...text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(text).toContain(
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello "}}',
    );
    expect(text).toContain('"stop_reason":"end_turn"');
  });

  it('accepts x-api-key or Bearer, and refuses a missing or wrong key with the documented error body', async () => {
    fake.setHandler(() => ({ content: 'ok' }));
    expect((await post(minimal)).status).toBe(200);
    expect((await post(minimal, { 'x-api-key': '', authorization: `Bearer ${API_KEY}` })).status).toBe(401);
    const bearer = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify(minimal),
      headers: { 'anthropic-version': '2026-10-21', authorization: `Bearer ${API_KEY}` },
    });
    expect(bearer.status).toBe(200);
    const missing = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify(minimal),
      headers: { 'anthropic-version': '2026-10-21' },
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'x-api-key header is required' },
      request_id: expect.stringMatching(/^req_/),
    });
    const wrong = await post(minimal, { 'x-api-key': 'sk-ant-wrong' });
    expect(await wrong.json()).toMatchObject({ error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  });

  it('requires anthropic-version, rejects sampling parameters on 2026-10-21 only, and 404s unknown paths', async () => {
    const noVersion = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify(minimal),
      headers: { 'x-api-key': API_KEY },
    });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    const sampled = await post({ ...minimal, temperature: 1 });
    expect(sampled.status).toBe(400);
    expect(await sampled.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'temperature: Extra inputs are not permitted' },
    });
    expect((await post({ ...minimal, temperature: 1 }, { 'anthropic-version': '2023-06-01' })).status).toBe(200);
    expect(await (await post({ model: 'm', messages: [] })).json()).toMatchObject({
      error: { message: 'max_tokens: Field required' },
    });
    const unknown = await fetch(`${fake.url}/v1/complete`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-api-key': API_KEY, 'anthropic-version': '2026-10-21' },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
