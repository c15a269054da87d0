import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import type { ChatCompletionStreamRequest } from '@mistralai/mistralai/models/components';
import { buildPrompt, type Prompt, promptMessages } from '../prompt/build-prompt.js';
import type { AnalysisRequest } from '../provider.js';

/** The name of the structured-output schema sent with every request. */
export const MISTRAL_SCHEMA_NAME = 'turbostream_alerts';

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
    model: request.model,
    stream: true,
    messages: [{ role: 'system', content: prompt.system }, ...promptMessages(prompt)],
    responseFormat: {
      type: 'json_schema',
      jsonSchema: { name: MISTRAL_SCHEMA_NAME, schemaDefinition: MODEL_ANSWER_JSON_SCHEMA, strict: true },
    },
    maxTokens: request.maxTokens,
    temperature: request.temperature,
  };
}
