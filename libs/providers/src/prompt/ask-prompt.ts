import type { Window } from '@turbostream/contracts';
import type { Prompt } from './build-prompt.js';
import { DEFAULT_PROMPT_LIMITS, type PromptLimits, renderWindow } from './render-window.js';
import { DATA_FORMAT_LINES } from './system-prompt.js';
import { REF_COLUMN } from './window-tables.js';

/** The fixed part of a question's system prompt: the model's role, how to answer, and how the data is fenced. */
export const ASK_SYSTEM_PROMPT = [
  "You answer a user's question about the latest messages of a live data feed.",
  'Answer from the messages you are shown, concisely, in plain text; say so when they do not hold the answer, and ' +
    'do not invent messages or figures.',
  `When you point at messages, cite their ${REF_COLUMN} (e.g. ${REF_COLUMN}3).`,
  ...DATA_FORMAT_LINES,
].join('\n');

/** The line after the data: what to do with it (our text, not the user's, not the feed's). */
export const ASK_AFTER_DATA = "Answer the user's question (in the system message) from these messages.";

/** Stands in for an empty question. */
const DEFAULT_QUESTION = 'What happened in these messages?';

/**
 * The prompt for a question about some messages: {@link ASK_SYSTEM_PROMPT},
 * then the user's question (trusted, like a stream's instructions) in its own
 * block; the messages, rendered by {@link renderWindow} exactly as an analysis
 * renders a window (fenced, escaped, within `limits`), in the user message,
 * with a line after the fence saying what to do. Pure and deterministic.
 */
export function buildAskPrompt(question: string, window: Window, limits: PromptLimits = DEFAULT_PROMPT_LIMITS): Prompt {
  const system =
    `${ASK_SYSTEM_PROMPT}\n\nThe user's question:\n<user_question>\n` +
    `${question.trim() || DEFAULT_QUESTION}\n</user_question>`;
  const { text, refs } = renderWindow(window, limits);
  return { system, user: `${text}\n${ASK_AFTER_DATA}`, refs };
}

/** True when the prompt shows every entry of the window: none was left out to fit its limits. */
export function showsEveryEntry(prompt: Prompt, window: Window): boolean {
  return prompt.refs.size === window.messages.length + window.gaps.length;
}
