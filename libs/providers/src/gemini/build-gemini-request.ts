import type { Content, GenerateContentParameters } from '@google/genai';
import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { buildPrompt, type Prompt, promptMessages } from '../prompt/build-prompt.js';
import type { AnalysisRequest } from '../provider.js';
import { toGeminiJsonSchema } from './gemini-json-schema.js';

/** The answer schema in the form `responseJsonSchema` accepts. */
export const GEMINI_ANSWER_JSON_SCHEMA = toGeminiJsonSchema(MODEL_ANSWER_JSON_SCHEMA);

/** The turns after the system instruction: `assistant` becomes Gemini's `model` role. */
export function geminiContents(prompt: Prompt): Content[] {
  return promptMessages(prompt).map((message) => ({
    role: message.role === 'assistant' ? 'model' : 'user',
    parts: [{ text: message.content }],
  }));
}

export interface GeminiCallOptions {
  /** Aborts the HTTP request and the stream (caller's signal and our deadline). */
  abortSignal: AbortSignal;
  /** The `fetch` this call goes through. */
  fetch: typeof globalThis.fetch;
}

/**
 * The `generateContentStream` parameters for one analysis: system
 * instruction, user/model turns, JSON output constrained by the answer schema,
 * token limit, temperature, and the SDK switches that must stay off
 * (automatic continuation re-sends a dropped stream: retrying is the queue's job). `prompt` is the request's (built
 * when not given; the provider passes its own to read the answer's refs).
 */
export function buildGeminiRequest(
  request: AnalysisRequest,
  call: GeminiCallOptions,
  prompt: Prompt = buildPrompt(request.instructions, request.window, request.repair),
): GenerateContentParameters {
  return {
    model: request.model,
    contents: geminiContents(prompt),
    config: {
      systemInstruction: { parts: [{ text: prompt.system }] },
      responseMimeType: 'application/json',
      responseJsonSchema: GEMINI_ANSWER_JSON_SCHEMA,
      maxOutputTokens: request.maxTokens,
      temperature: request.temperature,
      candidateCount: 1,
      automaticContinuation: false,
      abortSignal: call.abortSignal,
      httpOptions: { timeout: request.timeoutMs, fetch: call.fetch },
    },
  };
}
