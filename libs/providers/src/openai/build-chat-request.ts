import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { buildPrompt, type Prompt, promptMessages } from '../prompt/build-prompt.js';
import { buildAskPrompt } from '../prompt/ask-prompt.js';
import type { AnalysisRequest, AskRequest } from '../provider.js';

/**
 * The body field that caps the answer's length: OpenAI and Azure take
 * `max_completion_tokens` (required by reasoning models), while local
 * OpenAI-compatible servers such as Ollama only read `max_tokens`.
 */
export type MaxTokensParameter = 'max_completion_tokens' | 'max_tokens';

/** The name of the structured-output schema sent with every request. */
export const RESPONSE_SCHEMA_NAME = 'turbostream_alerts';

/** What a streamed chat request takes besides its prompt, for an analysis or a question. */
type ChatCallSettings = Pick<AnalysisRequest, 'model' | 'maxTokens' | 'temperature'>;

/** A streamed Chat Completions request with usage in the stream: the system prompt, then the prompt's turns. */
function chatBody(
  settings: ChatCallSettings,
  prompt: Prompt,
  maxTokensParameter: MaxTokensParameter,
): ChatCompletionCreateParamsStreaming {
  return {
    model: settings.model,
    messages: [{ role: 'system', content: prompt.system }, ...promptMessages(prompt)],
    stream: true,
    stream_options: { include_usage: true },
    ...(maxTokensParameter === 'max_tokens'
      ? { max_tokens: settings.maxTokens }
      : { max_completion_tokens: settings.maxTokens }),
    temperature: settings.temperature,
  };
}

/**
 * The streamed Chat Completions request for one window: strict JSON-schema output, usage in the stream. `prompt` is the
 * request's (built when not given; the provider passes its own to read the answer's refs).
 */
export function buildChatRequest(
  request: AnalysisRequest,
  maxTokensParameter: MaxTokensParameter = 'max_completion_tokens',
  prompt: Prompt = buildPrompt(request.instructions, request.window, request.repair),
): ChatCompletionCreateParamsStreaming {
  return {
    ...chatBody(request, prompt, maxTokensParameter),
    response_format: {
      type: 'json_schema',
      json_schema: { name: RESPONSE_SCHEMA_NAME, strict: true, schema: MODEL_ANSWER_JSON_SCHEMA },
    },
  };
}

/** The streamed Chat Completions request for a question ({@link buildAskPrompt}): free text, usage in the stream. */
export function buildChatAskRequest(
  request: AskRequest,
  maxTokensParameter: MaxTokensParameter = 'max_completion_tokens',
  prompt: Prompt = buildAskPrompt(request.question, request.window, request.limits),
): ChatCompletionCreateParamsStreaming {
  return chatBody(request, prompt, maxTokensParameter);
}
