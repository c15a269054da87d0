import type { CorpusFeed } from '../corpus.js';
import { quietFeed } from './quiet.js';
import { serviceLogsFeed } from './service-logs.js';
import { telemetryFeed } from './telemetry.js';
import { tradesFeed } from './trades.js';

const GENERATORS: Record<string, (seed: number) => CorpusFeed> = {
  trades: tradesFeed,
  'service-logs': serviceLogsFeed,
  telemetry: telemetryFeed,
  quiet: quietFeed,
};

/** The names of the built-in feeds, in the order {@link builtInCorpus} gives them. */
export const BUILT_IN_CORPORA: readonly string[] = Object.freeze(Object.keys(GENERATORS));

/** The seed of the built-in corpus when none is given (the demo feed's). */
export const DEFAULT_CORPUS_SEED = 42;

/**
 * The built-in feeds named (all of them when `names` is not given), in the order named, each once. Deterministic:
 * the same seed gives the same bytes, and a feed is the same whether generated alone or with others. An unknown name
 * throws an Error that names the known ones.
 */
export function builtInCorpus(names?: readonly string[], seed: number = DEFAULT_CORPUS_SEED): CorpusFeed[] {
  if (!Number.isInteger(seed)) throw new RangeError(`corpus seed must be an integer, got ${seed}`);
  const wanted = [...new Set(names ?? BUILT_IN_CORPORA)];
  const unknown = wanted.filter((name) => !Object.hasOwn(GENERATORS, name));
  if (unknown.length > 0)
    throw new Error(
      `unknown built-in corpus ${unknown.map((name) => JSON.stringify(name)).join(', ')}: ` +
        `expected one of ${BUILT_IN_CORPORA.join(', ')}`,
    );
  return wanted.map((name) => (GENERATORS[name] as (seed: number) => CorpusFeed)(seed));
}
