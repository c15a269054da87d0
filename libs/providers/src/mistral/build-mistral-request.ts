import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import type { ChatCompletionStreamRequest } from '@mistralai/mistralai/models/components';
import { buildPrompt, type Prompt, promptMessages } from '../prompt/build-prompt.js';
import { buildAskPrompt } from '../prompt/ask-prompt.js';
import type { AnalysisRequest, AskRequest } from '../provider.js';

/** The name of the structured-output schema sent with every request. */
export const MISTRAL_SCHEMA_NAME = 'turbostream_alerts';

/** What a streamed chat request takes besides its prompt, for an analysis or a question. */
type MistralCallSettings = Pick<AnalysisRequest, 'model' | 'maxTokens' | 'temperature'>;

/** A streamed chat request: the system prompt, then the prompt's turns. */
function mistralBody(settings: MistralCallSettings, prompt: Prompt): ChatCompletionStreamRequest {
  return {
    model: settings.model,
    stream: true,
    messages: [{ role: 'system', content: prompt.system }, ...promptMessages(prompt)],
    maxTokens: settings.maxTokens,
    temperature: settings.temperature,
  };
}

/**
 * The streamed chat request for one window: the shared prompt (system, the
 * window, and for a repair the invalid answer and the correction) with strict
 * JSON-schema structured output. Pure: the same request gives the same body.
 * `prompt` is the request's (built when not given; the provider passes its own
 * to read the answer's refs).
 */
export function buildMistralRequest(
  request: AnalysisRequest,
  prompt: Prompt = buildPrompt(request.instructions, request.window, request.repair),
): ChatCompletionStreamRequest {
  return {
    ...mistralBody(request, prompt),
    responseFormat: {
      type: 'json_schema',
      jsonSchema: { name: MISTRAL_SCHEMA_NAME, schemaDefinition: MODEL_ANSWER_JSON_SCHEMA, strict: true },
    },
  };
}

/** The streamed chat request for a question ({@link buildAskPrompt}): a free-text answer. */
export function buildMistralAskRequest(request: AskRequest): ChatCompletionStreamRequest {
  return mistralBody(request, buildAskPrompt(request.question, request.window, request.limits));
}
