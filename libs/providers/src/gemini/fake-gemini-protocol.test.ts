import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGemini, startFakeGemini } from '@turbostream/testkit';

const API_KEY = 'AIzaSyTest-0123456789abcdefghijklmnopqr';

describe('fake Gemini (testkit) speaks the documented protocol', () => {
  let fake: FakeGemini;
  beforeAll(async () => {
    fake = await startFakeGemini({
      apiKey: API_KEY,
      handler: () => ({ content: '{"alerts":[]}', usage: { promptTokens: 10, candidatesTokens: 4 } }),
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  const post = (
    path: string,
    headers: Record<string, string> = { 'x-goog-api-key': API_KEY },
    body = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}',
  ) =>
    fetch(`${fake.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('streams SSE chunks whose last one carries finishReason and the full usageMetadata', async () => {
    const response = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text()).split('\r\n\r\n').filter(Boolean);
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    const chunks: unknown[] = events.map((event) => JSON.parse(event.slice('data: '.length)));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.at(-1)).toMatchObject({
      candidates: [
        { content: { role: 'model', parts: [{ text: expect.any(String) }] }, finishReason: 'STOP', index: 0 },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, totalTokenCount: 14 },
      modelVersion: 'gemini-2.5-flash',
    });
    expect(chunks[0]).not.toMatchObject({ candidates: [{ finishReason: expect.anything() }] });
  });

  it('answers generateContent with one response, and the official SDK reads it', async () => {
    const ai = new GoogleGenAI({
      apiKey: API_KEY,
      vertexai: false,
      apiVersion: 'v1beta',
      httpOptions: { baseUrl: fake.url },
    });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(response.text).toBe('{"alerts":[]}');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata?.candidatesTokenCount).toBe(4);
  });

  it(
    'refuses a missing key (403), a wrong key (400 API_KEY_INVALID) and unknown paths (404) with Google error ' +
      'bodies',
    async () => {
      const missing = await post('/v1beta/models/m:generateContent', {});
      expect(missing.status).toBe(403);
      expect(await missing.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
      const wrong = await post('/v1beta/models/m:generateContent', { 'x-goog-api-key': 'nope' });
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({
        error: {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: 'API key not valid. Please pass a valid API key.',
          details: [{ reason: 'API_KEY_INVALID' }],
        },
      });
      const byQuery = await post(`/v1beta/models/m:generateContent?key=${API_KEY}`, {});
      expect(byQuery.status).toBe(200);
      const unknown = await post('/v1beta/models/m:countTokens');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
      const badJson = await post('/v1beta/models/m:generateContent', undefined, '{');
      expect(badJson.status).toBe(400);
    },
  );
});
