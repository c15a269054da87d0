import { defineConfig } from 'vitest/config';

// `npm run chaos`: the fault scenarios of test/chaos (files *.chaos.ts, which the
// default config does not include), one file, scenarios one after another.
export default defineConfig({
  resolve: { conditions: ['@turbostream/source'] },
  ssr: { resolve: { conditions: ['@turbostream/source'] } },
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
