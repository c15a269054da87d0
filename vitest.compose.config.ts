import { defineConfig } from 'vitest/config';

// `npm run test:compose`: the image and docker-compose.yml on a real container
// engine (test/compose; files *.compose.ts, which the default config does not
// include). One file, stages one after another, each test and its time printed.
export default defineConfig({
  resolve: { conditions: ['@turbostream/source'] },
  ssr: { resolve: { conditions: ['@turbostream/source'] } },
  test: {
    include: ['test/compose/**/*.compose.ts'],
    // The first run on a machine installs the engine and builds the base images and the image.
    testTimeout: 900_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
