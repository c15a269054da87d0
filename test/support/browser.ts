/** The dashboard tests' browser (testkit's Debian Chromium) and where their screenshots go. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './service-process.js';

export { launchChromium } from '@turbostream/testkit/chromium';

/** Screenshots and other artifacts of the browser tests (git ignores it). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test', 'artifacts');

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
