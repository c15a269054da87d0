import type { ProviderId } from '@turbostream/contracts';
import type { ModelPrice } from './cost.js';

/** Every model of a provider: the row that prices a provider whose models all cost the same (Ollama, heuristic). */
export const ANY_MODEL = '*';

/**
 * One row of a price table: a provider's model (or {@link ANY_MODEL}) and its price. `model` is the name a job
 * names; for Azure OpenAI that is the deployment's name (see {@link BUILT_IN_PRICES}).
 */
export interface PriceRow extends ModelPrice {
  provider: ProviderId;
  model: string;
}

const OPENAI = 'https://developers.openai.com/api/docs/pricing';
const AZURE = 'https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/';
const ANTHROPIC = 'https://platform.claude.com/docs/en/about-claude/pricing';
const GEMINI = 'https://ai.google.dev/gemini-api/docs/pricing';
const MISTRAL = 'https://docs.mistral.ai/models/model-cards/mistral-medium-3-5-26-04';
const XAI = 'https://docs.x.ai/developers/models';
/** The figures were read on this day (stored copies of the pages above; see libs/costs/README.md). */
const READ = '2026-11-30';

type Figures = [input: number, cachedInput: number, output: number];

function rows(provider: ProviderId, source: string, models: Record<string, Figures>): PriceRow[] {
  return Object.entries(models).map(([model, [inputPerMTok, cachedInputPerMTok, outputPerMTok]]) => ({
    provider,
    model,
    inputPerMTok,
    cachedInputPerMTok,
    outputPerMTok,
    source,
    asOf: READ,
  }));
}

/**
 * Anthropic bills cache writes apart: the 5-minute write (the `ephemeral` cache TurboStream asks for) is listed as
 * its own column. Figures: [input, 5-minute cache write, cache hit, output].
 */
function anthropicRows(models: Record<string, [number, number, number, number]>): PriceRow[] {
  return Object.entries(models).map(
    ([model, [inputPerMTok, cacheWritePerMTok, cachedInputPerMTok, outputPerMTok]]) => ({
      provider: 'anthropic',
      model,
      inputPerMTok,
      cachedInputPerMTok,
      cacheWritePerMTok,
      outputPerMTok,
      source: ANTHROPIC,
      asOf: READ,
    }),
  );
}

/** A provider whose every model costs nothing (it runs on your machine, or is no LLM at all). */
function free(provider: ProviderId, source: string): PriceRow {
  return {
    provider,
    model: ANY_MODEL,
    inputPerMTok: 0,
    cachedInputPerMTok: 0,
    outputPerMTok: 0,
    source,
    asOf: READ,
  };
}

/**
 * The built-in prices, in US dollars per million tokens (standard, pay-as-you-go, non-batch rates), each row with the
 * page it comes from and the day it was read. A model whose figures could not be found is left out (its `costUsd` is
 * null) rather than guessed; a user price file adds it. Models priced by prompt length (Claude Haiku 5.5 changes
 * price past 100,000 prompt tokens) are left out too: one row cannot say which band a call falls in.
 *
 * Dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) take their family's row: see
 * {@link findPriceRow}.
 */
export const BUILT_IN_PRICES: readonly PriceRow[] = [
  // OpenAI: input, cached input, output.
  ...rows('openai', OPENAI, {
    'gpt-5.5': [5, 0.5, 30],
    'gpt-5.4': [2.5, 0.25, 15],
    'gpt-5.4-mini': [0.75, 0.075, 4.5],
    'gpt-5.4-nano': [0.2, 0.02, 1.25],
    'gpt-4.1': [2, 0.5, 8],
    'gpt-4.1-mini': [0.4, 0.1, 1.6],
    'gpt-4o': [2.5, 1.25, 10],
    'gpt-4o-mini': [0.15, 0.075, 0.6],
  }),
  // Azure OpenAI: jobs name a deployment, not a model. These rows (Global Standard rates) price a deployment named
  // after its model; any other deployment name needs a row in the user's price file.
  ...rows('azure-openai', AZURE, {
    'gpt-4.1': [2, 0.5, 8],
    'gpt-4.1-mini': [0.4, 0.1, 1.6],
  }),
  // Anthropic: input, 5-minute cache write, cache hit, output.
  ...anthropicRows({
    'claude-opus-5-5': [4, 5, 0.2, 20],
    'claude-opus-5': [5, 6.25, 0.5, 25],
    'claude-opus-4-8': [5, 6.25, 0.5, 25],
    'claude-opus-4-7': [5, 6.25, 0.5, 25],
    'claude-opus-4-6': [5, 6.25, 0.5, 25],
    'claude-opus-4-5': [5, 6.25, 0.5, 25],
    'claude-sonnet-5-5': [2, 2.5, 0.2, 10],
    'claude-sonnet-5': [2, 2.5, 0.2, 10],
    'claude-sonnet-4-6': [3, 3.75, 0.3, 15],
    'claude-sonnet-4-5': [3, 3.75, 0.3, 15],
    'claude-haiku-4-5': [1, 1.25, 0.1, 5],
  }),
  // Gemini (paid tier, prompts up to 200,000 tokens: TurboStream's prompts stay far below): input, cached, output.
  ...rows('gemini', GEMINI, {
    'gemini-2.5-pro': [1.25, 0.125, 10],
    'gemini-2.5-flash': [0.3, 0.03, 2.5],
    'gemini-2.5-flash-lite': [0.1, 0.01, 0.4],
  }),
  // Mistral publishes no cached-input price: cached input is charged at the input price here (an upper bound).
  ...rows('mistral', MISTRAL, {
    'mistral-medium-3-5': [1.5, 1.5, 7.5],
  }),
  // xAI (prompts up to 200,000 tokens): input, cached, output.
  ...rows('xai', XAI, {
    'grok-4.3': [1.25, 0.2, 2.5],
  }),
  // Local and built-in: nothing is billed.
  free('ollama', 'local model: nothing is billed'),
  free('heuristic', 'built in: no LLM is called'),
];

/**
 * The row that prices `model` of `provider` among `table`:
 * 1. the row whose model is exactly `model`;
 * 2. else the row with the longest model id that `model` starts with, followed by `-` (`gpt-4o-2024-08-06` takes
 *    `gpt-4o`'s row, `claude-sonnet-4-5-20250929` takes `claude-sonnet-4-5`'s; `gpt-4o-mini` has a row of its own,
 *    which wins over `gpt-4o` as the exact, or longer, match);
 * 3. else the provider's {@link ANY_MODEL} row;
 * 4. else none.
 * Names are compared as given (model ids are case-sensitive). When several rows tie, the last one wins, so rows
 * appended later (the user's) override earlier ones.
 */
export function findPriceRow(table: readonly PriceRow[], provider: ProviderId, model: string): PriceRow | undefined {
  let exact: PriceRow | undefined;
  let family: PriceRow | undefined;
  let anyModel: PriceRow | undefined;
  for (const row of table) {
    if (row.provider !== provider) continue;
    if (row.model === model) exact = row;
    else if (row.model === ANY_MODEL) anyModel = row;
    else if (model.startsWith(`${row.model}-`) && row.model.length >= (family?.model.length ?? 0)) family = row;
  }
  return exact ?? family ?? anyModel;
}
