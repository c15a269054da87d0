import type { Content, GenerateContentConfig, GenerateContentParameters } from '@google/genai';
import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { buildPrompt, type Prompt, promptMessages } from '../prompt/build-prompt.js';
import { buildAskPrompt } from '../prompt/ask-prompt.js';
import type { AnalysisRequest, AskRequest } from '../provider.js';
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

/** What a Gemini request takes besides its prompt, for an analysis or a question. */
type GeminiCallSettings = Pick<AnalysisRequest, 'model' | 'maxTokens' | 'temperature' | 'timeoutMs'>;

/**
 * `generateContentStream` parameters: system instruction, user/model turns, token limit, temperature, and the SDK
 * switches that must stay off (automatic continuation re-sends a dropped stream: retrying is the queue's job).
 */
function geminiParameters(
  settings: GeminiCallSettings,
  call: GeminiCallOptions,
  prompt: Prompt,
): GenerateContentParameters & { config: GenerateContentConfig } {
  return {
    model: settings.model,
    contents: geminiContents(prompt),
    config: {
      systemInstruction: { parts: [{ text: prompt.system }] },
      maxOutputTokens: settings.maxTokens,
      temperature: settings.temperature,
      candidateCount: 1,
      automaticContinuation: false,
      abortSignal: call.abortSignal,
      httpOptions: { timeout: settings.timeoutMs, fetch: call.fetch },
    },
  };
}

/**
 * The `generateContentStream` parameters for one analysis: JSON output
 * constrained by the answer schema. `prompt` is the request's (built when not
 * given; the provider passes its own to read the answer's refs).
 */
export function buildGeminiRequest(
  request: AnalysisRequest,
  call: GeminiCallOptions,
  prompt: Prompt = buildPrompt(request.instructions, request.window, request.repair),
): GenerateContentParameters {
  const parameters = geminiParameters(request, call, prompt);
  return {
    ...parameters,
    config: {
      ...parameters.config,
      responseMimeType: 'application/json',
      responseJsonSchema: GEMINI_ANSWER_JSON_SCHEMA,
    },
  };
}

/** The `generateContentStream` parameters for a question ({@link buildAskPrompt}): a free-text answer. */
export function buildGeminiAskRequest(request: AskRequest, call: GeminiCallOptions): GenerateContentParameters {
  return geminiParameters(request, call, buildAskPrompt(request.question, request.window, request.limits));
}
