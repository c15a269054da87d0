import type { FinishReason } from '../finish-reason.js';

/**
 * Maps a Gemini candidate `finishReason` (the `FinishReason` enum of the
 * Gemini API) onto {@link FinishReason}. Every reason that means "a filter
 * stopped the answer" (safety, recitation, block lists, prohibited content,
 * personal data) is `content-filter`; unknown reasons are `other`.
 */
export function mapGeminiFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content-filter';
    case 'UNEXPECTED_TOOL_CALL':
    case 'TOO_MANY_TOOL_CALLS':
      return 'tool-calls';
    case 'MALFORMED_FUNCTION_CALL':
    case 'MALFORMED_RESPONSE':
    case 'MISSING_THOUGHT_SIGNATURE':
      return 'error';
    default:
      return 'other';
  }
}
