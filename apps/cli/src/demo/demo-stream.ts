import type { StreamConfig } from '@turbostream/config';

/** The stream `turbostream up` watches when there is no streams.yaml: the demo feed, analysed by `heuristic`. */
export function demoStream(url: string): StreamConfig {
  return {
    id: 'demo-market',
    source: { url, subscribe: [], headers: {}, format: 'json' },
    window: { maxMessages: 100, maxBytes: 262_144, maxSeconds: 5 },
    targets: [{ provider: 'heuristic', model: 'mad' }],
    instructions: 'Alert on price or volume outliers and on error-level messages.',
  };
}
