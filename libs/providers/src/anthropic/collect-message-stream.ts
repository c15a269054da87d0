import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { type CollectedStream, collectStream, type StreamReader } from '../call/collected-stream.js';
import type { AnalysisUsage } from '../provider.js';

/** What a streamed message added up to. */
export interface CollectedMessage extends CollectedStream {
  /** The text of every text block, in order. */
  text: string;
  /** The streamed input JSON of the first `tool_use` block named `toolName`; undefined when there was none. */
  toolInput: string | undefined;
  /** Milliseconds from `startedAt` to the first content delta of any kind; undefined when none came. */
  ttftMs: number | undefined;
  /** From `message_delta`; undefined when the stream ended before one came. */
  stopReason: string | undefined;
  /** The stop reason once `message_stop` came, the only proof that the answer is whole; else undefined. */
  finishReason: string | undefined;
  /** Why the model refused, when it did. */
  refusal: { category: string | null; explanation: string | null } | undefined;
  /** True once `message_stop` arrived: the only proof that the answer is whole. */
  complete: boolean;
  usage: AnalysisUsage;
  responseId: string | undefined;
  responseModel: string | undefined;
}

interface RawUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * Total input is `input_tokens` (the uncached part) plus cache writes plus cache reads; cache reads are the cached
 * part, cache writes (billed at their own price) the written part.
 */
function toUsage(usage: RawUsage): AnalysisUsage {
  const read = usage.cache_read_input_tokens;
  const written = usage.cache_creation_input_tokens;
  return {
    inputTokens: (usage.input_tokens ?? 0) + (written ?? 0) + (read ?? 0),
    outputTokens: usage.output_tokens ?? 0,
    ...(typeof read === 'number' ? { cachedInputTokens: read } : {}),
    ...(typeof written === 'number' ? { cacheWriteInputTokens: written } : {}),
  };
}

/** Later counts are cumulative: each non-null field replaces the earlier one. */
function mergeUsage(into: RawUsage, next: RawUsage): void {
  for (const key of [
    'input_tokens',
    'output_tokens',
    'cache_creation_input_tokens',
    'cache_read_input_tokens',
  ] as const) {
    const value = next[key];
    if (typeof value === 'number') into[key] = value;
  }
}

/**
 * Reads a Messages stream an event at a time: text deltas (each one answer
 * text), the input JSON of the answer tool, the stop reason and the usage of
 * `message_start` and `message_delta`. Thinking deltas count for time to
 * first token only.
 */
export function messageStreamReader(
  startedAt: number,
  toolName: string,
  now: () => number = () => performance.now(),
): StreamReader<RawMessageStreamEvent, CollectedMessage> {
  const collected: CollectedMessage = {
    text: '',
    toolInput: undefined,
    ttftMs: undefined,
    stopReason: undefined,
    finishReason: undefined,
    refusal: undefined,
    complete: false,
    usage: { inputTokens: 0, outputTokens: 0 },
    responseId: undefined,
    responseModel: undefined,
  };
  const usage: RawUsage = {};
  let toolIndex: number | undefined;
  let toolStartInput = '';
  return {
    read(event) {
      switch (event.type) {
        case 'message_start':
          collected.responseId = event.message.id;
          collected.responseModel = event.message.model;
          mergeUsage(usage, event.message.usage);
          break;
        case 'content_block_start':
          if (
            toolIndex === undefined &&
            event.content_block.type === 'tool_use' &&
            event.content_block.name === toolName
          ) {
            toolIndex = event.index;
            toolStartInput = JSON.stringify(event.content_block.input ?? {});
            collected.toolInput = '';
          }
          break;
        case 'content_block_delta':
          collected.ttftMs ??= now() - startedAt;
          if (event.delta.type === 'input_json_delta' && event.index === toolIndex)
            collected.toolInput += event.delta.partial_json;
          if (event.delta.type === 'text_delta') {
            collected.text += event.delta.text;
            return event.delta.text;
          }
          break;
        case 'message_delta':
          if (event.delta.stop_reason) collected.stopReason = event.delta.stop_reason;
          if (event.delta.stop_details)
            collected.refusal = {
              category: event.delta.stop_details.category ?? null,
              explanation: event.delta.stop_details.explanation ?? null,
            };
          mergeUsage(usage, event.usage);
          break;
        case 'message_stop':
          collected.complete = true;
          break;
        default:
          break;
      }
      return '';
    },
    result() {
      // A tool called with no input deltas carries its whole input in `content_block_start`.
      const toolInput = collected.toolInput === '' ? toolStartInput : collected.toolInput;
      // Only `message_stop` proves the answer whole.
      const finishReason = collected.complete ? collected.stopReason : undefined;
      return { ...collected, toolInput, finishReason, usage: toUsage(usage) };
    },
  };
}

/** Reads a Messages stream to its end ({@link messageStreamReader}). */
export function collectMessageStream(
  stream: AsyncIterable<RawMessageStreamEvent>,
  startedAt: number,
  toolName: string,
  now: () => number = () => performance.now(),
): Promise<CollectedMessage> {
  return collectStream(stream, messageStreamReader(startedAt, toolName, now));
}
