/**
 * Headless Chromium for the dashboard's tests and benchmark: Debian's `chromium` (never a browser downloaded by
 * Playwright) driven by playwright-core (the repository's dev dependency), with the flags a machine without internet
 * access needs. Each launch gets a fresh profile: Playwright makes a new user-data-dir per launch and removes it on
 * close. A missing browser is an error that says how to install it, never a silent skip.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where the browser is: Debian's `chromium` package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags of every launch: headless, and nothing that reaches out to Google's hosts. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} is missing: the dashboard's browser tests and benchmark run Debian's Chromium. Install it ` +
        'with `sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run installs it when it is missing).',
    );
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: 60_000 });
}
