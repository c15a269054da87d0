import { compareEntryIds } from '@turbostream/contracts';

const ENTRY_ID = /\b\d{13}-\d+\b/g;

/** The window a prompt is about: the smallest stream entry id it cites (the window id). */
export function windowOf(prompt: string): string | undefined {
  return [...new Set(prompt.match(ENTRY_ID) ?? [])].sort(compareEntryIds)[0];
}

/** What the fake models answer: one alert citing the window's first entry (none for a prompt without one). */
export function alertCitingWindow(prompt: string): string {
  const windowId = windowOf(prompt);
  return JSON.stringify({
    alerts: windowId
      ? [{ severity: 'warning', title: `window ${windowId}`, summary: 'seen by the fake model', evidence: [windowId] }]
      : [],
  });
}
