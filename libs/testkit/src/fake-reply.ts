import { field } from './fake-http.js';

// Reply helpers the loopback LLM fakes share. Internal to the testkit: index.ts does not export it.

/** What every fake answers when no handler is set. */
export const DEFAULT_FAKE_CONTENT = '{"alerts":[]}';

/** Splits content into pieces of `chunkSize` characters. @defaultValue about a fifth of the content (at least 1) */
export function splitContent(content: string, chunkSize: number | undefined): string[] {
  const characters = Array.from(content);
  const size = Math.max(1, chunkSize ?? Math.ceil(characters.length / 5));
  const pieces: string[] = [];
  for (let index = 0; index < characters.length; index += size)
    pieces.push(characters.slice(index, index + size).join(''));
  return pieces;
}

/**
 * A rough prompt token count: a quarter of the JSON size of the request body's `name` field (`messages`, `contents`).
 */
export function estimatePromptTokens(body: unknown, name: string): number {
  return Math.ceil(JSON.stringify(field(body, name) ?? '').length / 4);
}

/** A rough completion token count: a quarter of the content length, at least 1. */
export function estimateCompletionTokens(content: string): number {
  return Math.max(1, Math.ceil(content.length / 4));
}

/** The model to name in an answer: the reply's, else the one the request asked for. */
export function answerModel(replyModel: string | undefined, body: unknown): string {
  const requested = field(body, 'model');
  return replyModel ?? (typeof requested === 'string' ? requested : 'unknown');
}

/** The earliest of the chunk counts a stream should stop after, if any is set. */
export function earliestStop(...counts: (number | undefined)[]): number | undefined {
  const set = counts.filter((count) => count !== undefined);
  return set.length > 0 ? Math.min(...set) : undefined;
}
