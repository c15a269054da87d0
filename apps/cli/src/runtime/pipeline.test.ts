import { defaultConfig } from '@turbostream/config';
import { createLogger } from '@turbostream/logging';
import { describe, expect, it, vi } from 'vitest';

/** The service packages imported so far, in order (each mock below records its own import). */
const imported = vi.hoisted(() => [] as string[]);

/** A started service that does nothing, as each service package's start function returns it. */
const running = vi.hoisted(() => async () => ({
  service: { close: async () => {} },
  redis: { status: 'ready' },
  keys: {},
  disconnect: async () => {},
}));

vi.mock('@turbostream/ingest', () => {
  imported.push('ingest');
  return { startIngest: running };
});
vi.mock('@turbostream/windower', () => {
  imported.push('windower');
  return { startWindower: running };
});
vi.mock('@turbostream/analyzer', () => {
  imported.push('analyzer');
  return { startAnalyzer: running };
});

describe('startPipeline', () => {
  // `turbostream ingest` with the analyzer's provider SDKs and token tables loaded held ~100 MB more (RSS) than the
  // ingest it runs: a process loads the code of the services it starts, and only that.
  it('imports the package of each service it starts when it starts it, and no other', async () => {
    const { startPipeline } = await import('./pipeline.js');
    expect(imported).toEqual([]);
    const logger = createLogger({ level: 'silent' });

    const ingest = await startPipeline(defaultConfig(), ['ingest'], logger);
    expect(imported).toEqual(['ingest']);
    await ingest.close();

    const all = await startPipeline(defaultConfig(), ['ingest', 'windower', 'analyzer'], logger);
    expect(imported.toSorted()).toEqual(['analyzer', 'ingest', 'windower']);
    await all.close();
  });
});
