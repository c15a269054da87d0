import type { FinishReason } from '../finish-reason.js';

/**
 * Maps a Mistral `finish_reason` onto {@link FinishReason}. `model_length`
 * (the context window ran out) is a `length` stop like `max_tokens`; `error`
 * means the server gave up on the answer in the middle of the stream.
 */
export function mapMistralFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
    case 'model_length':
      return 'length';
    case 'error':
      return 'error';
    case 'tool_calls':
      return 'tool-calls';
    default:
      return 'other';
  }
}
