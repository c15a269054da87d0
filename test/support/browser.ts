/**
 * Headless Chromium for the dashboard's tests and benchmark: Debian's `chromium` (never a browser downloaded by
 * Playwright) driven by playwright-core, with the flags this machine's closed network needs. Each launch gets a fresh
 * profile (Playwright makes a new user-data-dir per launch and removes it on close). A missing browser is a failure
 * that says how to install it, not a skipped test.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from './service-process.js';

/** Where the browser is: Debian's `chromium` package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags of every launch: headless, and nothing that reaches out to Google's hosts. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots and other artifacts of the browser tests (git ignores it). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test', 'artifacts');

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} is missing: the dashboard's browser tests run Debian's Chromium. Install it with ` +
        '`sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run installs it when it is missing).',
    );
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
}
