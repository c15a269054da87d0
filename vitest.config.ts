import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@turbostream/source` export condition, so unit tests need no build.
// End-to-end tests under test/ spawn the built CLI (`npm test` builds first).
export default defineConfig({
  resolve: { conditions: ['@turbostream/source'] },
  ssr: { resolve: { conditions: ['@turbostream/source'] } },
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default (cores - 1) runs one file at a time on a 2-core machine; the
    // end-to-end files spend most of their time waiting on processes and Redis, so
    // two at once halve `npm test` there (one file at a time: 9–11 min of vitest on
    // this 2-core machine; two at once: 5.1 min, 530 passed).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default'],
  },
});
