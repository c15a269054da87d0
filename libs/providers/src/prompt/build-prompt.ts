import type { Window } from '@turbostream/contracts';
import type { RepairRequest } from '../provider.js';
import type { EntryRefs } from './entry-refs.js';
import { DEFAULT_PROMPT_LIMITS, type PromptLimits, renderWindow } from './render-window.js';
import { buildSystemPrompt } from './system-prompt.js';

export interface Prompt {
  /**
   * The role, the answer format, how the data is fenced, and the user's instructions; the same for every window of a
   * stream.
   */
  system: string;
  /** The window: its header and its entries, fenced as data. */
  user: string;
  /**
   * The entry id behind every ref `user` shows: the model cites refs as evidence, and `finishResult` turns them back
   * into entry ids.
   */
  refs: EntryRefs;
  /** For a repair attempt: the model's invalid answer, then what was wrong with it. */
  repair?: { assistant: string; user: string };
}

/** A chat turn after the system prompt, for providers that take a list of messages. */
export interface PromptMessage {
  role: 'user' | 'assistant';
  content: string;
}

const MAX_REPAIR_ECHO = 16_000;

/**
 * Builds the prompt for one window: the instructions in the system prompt
 * ({@link buildSystemPrompt}), the window's data fenced in the user message
 * ({@link renderWindow}, within `limits`), and the refs it shows. Pure and
 * deterministic: the same window gives the same prompt.
 */
export function buildPrompt(
  instructions: string,
  window: Window,
  repair?: RepairRequest,
  limits: PromptLimits = DEFAULT_PROMPT_LIMITS,
): Prompt {
  const system = buildSystemPrompt(instructions);
  const { text: user, refs } = renderWindow(window, limits);
  if (!repair) return { system, user, refs };
  return {
    system,
    user,
    refs,
    repair: {
      assistant: repair.previousOutput.slice(0, MAX_REPAIR_ECHO) || '(empty answer)',
      user:
        `That answer could not be used: ${repair.problem}\nAnswer again with only the JSON object ` +
        `{"alerts":[...]} described above, and nothing else.`,
    },
  };
}

/** The turns after the system prompt: the window, and for a repair the invalid answer and the correction. */
export function promptMessages(prompt: Prompt): PromptMessage[] {
  const messages: PromptMessage[] = [{ role: 'user', content: prompt.user }];
  if (prompt.repair)
    messages.push(
      { role: 'assistant', content: prompt.repair.assistant },
      { role: 'user', content: prompt.repair.user },
    );
  return messages;
}
