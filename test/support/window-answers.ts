import { compareEntryIds } from '@turbostream/contracts';

const ENTRY_ID = /\b\d{13}-\d+\b/g;

/** The window a prompt is about: the smallest stream entry id it cites (the window id). */
export function windowOf(prompt: string): string | undefined {
  return [...new Set(prompt.match(ENTRY_ID) ?? [])].sort(compareEntryIds)[0];
}

/**
 * The ref of the first row the prompt shows (the window's first entry, which the answer's evidence comes back as):
 * the first cell of the line after the first header inside the fence. The prompt may be the request body as JSON,
 * its line breaks written `\n`.
 */
export function firstRef(prompt: string): string | undefined {
  return /<stream_data>(?:\\n|\n)#,[^\n\\]*(?:\\n|\n)(\d+),/.exec(prompt)?.[1];
}

/**
 * What the fake models answer: one alert about the window, citing its first entry by the ref the prompt shows
 * (none for a prompt without one).
 */
export function alertCitingWindow(prompt: string): string {
  const windowId = windowOf(prompt);
  const ref = firstRef(prompt);
  return JSON.stringify({
    alerts:
      windowId && ref
        ? [{ severity: 'warning', title: `window ${windowId}`, summary: 'seen by the fake model', evidence: [ref] }]
        : [],
  });
}
