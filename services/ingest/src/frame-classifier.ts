import { isUtf8 } from 'node:buffer';
import type { DeadLetterReason } from '@turbostream/contracts';

export interface FrameRules {
  /** Frames larger than this many bytes are dead letters (`oversized`). */
  maxFrameBytes: number;
  /** `json`: text that is not JSON is a dead letter (`not-json`); `text`: any UTF-8 text is a message. */
  format: 'json' | 'text';
}

/** What becomes of one WebSocket frame: a message to store, or a dead letter with its reason. */
export type FrameVerdict =
  | { kind: 'message'; text: string }
  | { kind: 'dead-letter'; reason: DeadLetterReason; detail: string };

/**
 * Decides what one received frame is. Pure: no I/O, never throws.
 * Checks run cheapest-first and the size check comes before any decoding, so a
 * huge frame is never decoded or parsed.
 */
export function classifyFrame(data: Buffer, isBinary: boolean, rules: FrameRules): FrameVerdict {
  if (data.length > rules.maxFrameBytes) {
    return { kind: 'dead-letter', reason: 'oversized', detail: `${data.length} bytes > limit ${rules.maxFrameBytes}` };
  }
  if (isBinary) {
    return { kind: 'dead-letter', reason: 'binary', detail: `binary frame of ${data.length} bytes` };
  }
  if (!isUtf8(data)) {
    return { kind: 'dead-letter', reason: 'invalid-utf8', detail: 'text frame is not valid UTF-8' };
  }
  const text = data.toString('utf8');
  if (rules.format === 'json' && !isJson(text)) {
    return { kind: 'dead-letter', reason: 'not-json', detail: 'text frame is not JSON' };
  }
  return { kind: 'message', text };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
