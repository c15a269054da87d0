import type { Window } from '@turbostream/contracts';
import { renderWindow } from './render-window.js';
import { SYSTEM_PROMPT } from './system-prompt.js';

export interface Prompt {
  /** The role and answer format; the same for every window. */
  system: string;
  /** The user's instructions and the window. */
  user: string;
}

/** Builds the prompt for one window. Pure and deterministic: the same window gives the same prompt. */
export function buildPrompt(instructions: string, window: Window): Prompt {
  const user = [`Instructions:\n${instructions.trim() || 'Alert on anything unusual.'}`, renderWindow(window)].join('\n\n');
  return { system: SYSTEM_PROMPT, user };
}
