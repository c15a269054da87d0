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
    reporters: ['default'],
  },
});
