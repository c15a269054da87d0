import type { FinishReason } from '../finish-reason.js';

/**
 * Maps an Anthropic Messages `stop_reason` onto {@link FinishReason}.
 * `tool_use` is how a forced tool call ends, so it is a normal stop here.
 */
export function mapAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content-filter';
    default:
      // `pause_turn` (server tools only) and anything newer.
      return 'other';
  }
}
