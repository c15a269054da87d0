import type { MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import { assertNever, MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { type Prompt, promptMessages } from '../prompt/build-prompt.js';

/**
 * How the answer's shape is enforced:
 * - `json-schema`: the generally available structured output mode,
 *   `output_config.format = { type: 'json_schema', schema }`; decoding is
 *   constrained to the schema and the answer streams as text;
 * - `tool`: forced use of one tool whose `input_schema` is the answer's
 *   schema; the answer streams as the tool's input JSON. For models or
 *   gateways that do not offer `output_config`.
 */
export type AnthropicStructuredOutput = 'json-schema' | 'tool';

/** The one tool offered (and forced) in `tool` mode. */
export const ANTHROPIC_ANSWER_TOOL = 'report_alerts';

export interface AnthropicRequestInput {
  model: string;
  maxTokens: number;
  prompt: Prompt;
  /** How the answer's shape is enforced; none for a free-text answer (a question's). */
  structuredOutput: AnthropicStructuredOutput | 'none';
}

/**
 * The prompt cache breakpoint: the API caches the request up to and including the block that carries it (tools, then
 * system, then messages), 5 minutes by default, refreshed on every hit; cache writes are billed at 1.25 × input and
 * cache reads at a tenth of it.
 */
export const ANTHROPIC_CACHE_CONTROL = { type: 'ephemeral' } as const;

/**
 * The streamed Messages API request for one prompt. There is no
 * `temperature`: API version 2026-10-21, which this SDK sends, rejects
 * `temperature`, `top_p` and `top_k` with a 400.
 *
 * The system prompt is one text block with a cache breakpoint: the fixed part of the request (the answer tool or
 * schema, then the system text and the stream's instructions) is the same for every window of a stream, so windows
 * after the first read it from Anthropic's prompt cache. A prefix shorter than the model's minimum cacheable length
 * (1,024 tokens or more, by model) is simply not cached: usage then shows no cache reads or writes.
 */
export function buildAnthropicRequest(input: AnthropicRequestInput): MessageCreateParamsStreaming {
  const base = {
    model: input.model,
    max_tokens: input.maxTokens,
    system: [{ type: 'text', text: input.prompt.system, cache_control: ANTHROPIC_CACHE_CONTROL }],
    messages: promptMessages(input.prompt),
    stream: true,
  } satisfies MessageCreateParamsStreaming;
  switch (input.structuredOutput) {
    case 'none':
      return base;
    case 'json-schema':
      return { ...base, output_config: { format: { type: 'json_schema', schema: MODEL_ANSWER_JSON_SCHEMA } } };
    case 'tool':
      return {
        ...base,
        tools: [
          {
            name: ANTHROPIC_ANSWER_TOOL,
            description: 'Report the alerts found in this window (an empty list when nothing is worth an alert).',
            input_schema: { ...MODEL_ANSWER_JSON_SCHEMA, required: [...MODEL_ANSWER_JSON_SCHEMA.required] },
          },
        ],
        tool_choice: { type: 'tool', name: ANTHROPIC_ANSWER_TOOL, disable_parallel_tool_use: true },
      };
    default:
      return assertNever(input.structuredOutput);
  }
}
