import type { Window } from '@turbostream/contracts';
import type { RepairRequest } from '../provider.js';
import { renderWindow } from './render-window.js';
import { SYSTEM_PROMPT } from './system-prompt.js';

export interface Prompt {
  /** The role and answer format; the same for every window. */
  system: string;
  /** The user's instructions and the window. */
  user: string;
  /** For a repair attempt: the model's invalid answer, then what was wrong with it. */
  repair?: { assistant: string; user: string };
}

/** A chat turn after the system prompt, for providers that take a list of messages. */
export interface PromptMessage {
  role: 'user' | 'assistant';
  content: string;
}

const MAX_REPAIR_ECHO = 16_000;

/** Builds the prompt for one window. Pure and deterministic: the same window gives the same prompt. */
export function buildPrompt(instructions: string, window: Window, repair?: RepairRequest): Prompt {
  const user = [`Instructions:\n${instructions.trim() || 'Alert on anything unusual.'}`, renderWindow(window)].join('\n\n');
  if (!repair) return { system: SYSTEM_PROMPT, user };
  return {
    system: SYSTEM_PROMPT,
    user,
    repair: {
      assistant: repair.previousOutput.slice(0, MAX_REPAIR_ECHO) || '(empty answer)',
      user: `That answer could not be used: ${repair.problem}\nAnswer again with only the JSON object {"alerts":[...]} described above, and nothing else.`,
    },
  };
}

/** The turns after the system prompt: the window, and for a repair the invalid answer and the correction. */
export function promptMessages(prompt: Prompt): PromptMessage[] {
  const messages: PromptMessage[] = [{ role: 'user', content: prompt.user }];
  if (prompt.repair) messages.push({ role: 'assistant', content: prompt.repair.assistant }, { role: 'user', content: prompt.repair.user });
  return messages;
}
