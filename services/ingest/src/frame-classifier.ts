import { isUtf8 } from 'node:buffer';
import type { DeadLetterReason } from '@turbostream/contracts';
import { isJsonText } from './json-text.js';

export interface FrameRules {
  /** Frames larger than this many bytes are dead letters (`oversized`). */
  maxFrameBytes: number;
  /** `json`: text that is not JSON is a dead letter (`not-json`); `text`: any UTF-8 text is a message. */
  format: 'json' | 'text';
}

/**
 * What becomes of one WebSocket frame: a message to store (the frame's bytes as received: valid UTF-8, stored as they
 * are, never decoded here), or a dead letter with its reason.
 */
export type FrameVerdict =
  | { kind: 'message'; data: Buffer }
  | { kind: 'dead-letter'; reason: DeadLetterReason; detail: string };

/**
 * Decides what one received frame is. Pure: no I/O, never throws.
 * Checks run cheapest-first and the size check comes before any other, so a
 * huge frame is never scanned. No frame is decoded: a message stays the bytes it came as.
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
  if (rules.format === 'json' && !isJsonText(data)) {
    return { kind: 'dead-letter', reason: 'not-json', detail: 'text frame is not JSON' };
  }
  return { kind: 'message', data };
}
