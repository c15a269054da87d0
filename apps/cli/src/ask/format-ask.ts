import { escapeForTerminal } from '@turbostream/logging';
import type { AskEvent } from './ask-stream.js';

type ContextEvent = Extract<AskEvent, { type: 'context' }>;
type DoneEvent = Extract<AskEvent, { type: 'done' }>;

/**
 * A piece of the model's answer as it may be written to a terminal: line feeds
 * kept as line breaks (an answer has paragraphs), everything else a terminal
 * could act on — escape sequences, carriage returns, C1 controls, bidi
 * overrides — shown escaped by {@link escapeForTerminal}. Piece by piece, as
 * the answer streams: escaping one character never depends on the next.
 */
export function escapeAnswerForTerminal(text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n');
}

const count = (value: number) => value.toLocaleString('en-US');

/** `asking openai/gpt-4.1-mini about the latest 57 messages of btc-trades (… to …, about 3,812 input tokens)`. */
export function describeContext(event: ContextEvent): string {
  const gaps = event.gaps > 0 ? ` and ${event.gaps} gap${event.gaps === 1 ? '' : 's'}` : '';
  const older = event.olderLeftOut
    ? `; older messages left out to fit --max-tokens-in ${count(event.maxTokensIn)}`
    : '; every message the stream holds';
  return escapeForTerminal(
    `asking ${event.provider}/${event.model} about the latest ${event.messages} ` +
      `message${event.messages === 1 ? '' : 's'}${gaps} of ${event.streamId} ` +
      `(${new Date(event.from).toISOString()} to ${new Date(event.to).toISOString()}, about ` +
      `${count(event.estimatedInputTokens)} input tokens${older})`,
  );
}

/** Dollars of one call: three significant digits, `$0.00174`. */
function dollars(value: number): string {
  return value === 0 ? '$0' : `$${value.toPrecision(3)}`;
}

/**
 * The line after the answer: `time to first token 412 ms, total 1904 ms, tokens 3,812 in (1,024 cached) / 96 out,
 * cost $0.00174` (or `no price`), and why the answer stopped when it did not stop by itself.
 */
export function describeDone(event: DoneEvent, target: { provider: string; model: string }): string {
  const { usage } = event;
  const cached = [
    usage.cachedInputTokens ? `${count(usage.cachedInputTokens)} cached` : '',
    usage.cacheWriteInputTokens ? `${count(usage.cacheWriteInputTokens)} written to the cache` : '',
  ].filter(Boolean);
  const cost =
    event.costUsd === null
      ? `no price for ${target.provider}/${target.model} (prices.yaml can give one)`
      : `cost ${dollars(event.costUsd)}`;
  const stop =
    event.finishReason === 'length'
      ? '; the answer was cut off at the output token limit (LLM_MAX_TOKENS)'
      : event.finishReason === 'content-filter'
        ? "; the provider's content filter stopped the answer"
        : '';
  return escapeForTerminal(
    `time to first token ${Math.round(event.ttftMs)} ms, total ${Math.round(event.totalMs)} ms, tokens ` +
      `${count(usage.inputTokens)} in${cached.length > 0 ? ` (${cached.join(', ')})` : ''} / ` +
      `${count(usage.outputTokens)} out, ${cost}${stop}`,
  );
}
