import { PROVIDER_IDS } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { PriceBook } from './price-book.js';
import { ANY_MODEL, BUILT_IN_PRICES, findPriceRow, type PriceRow } from './price-table.js';

const row = (model: string, inputPerMTok: number, provider: PriceRow['provider'] = 'openai'): PriceRow => ({
  provider,
  model,
  inputPerMTok,
  cachedInputPerMTok: inputPerMTok / 10,
  outputPerMTok: inputPerMTok * 4,
  source: 'test',
  asOf: '2026-11-30',
});

describe('the built-in price table', () => {
  it('dates every row and names its source; one row per provider and model; no negative price', () => {
    const keys = new Set<string>();
    for (const price of BUILT_IN_PRICES) {
      expect(price.asOf, price.model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(price.source, price.model).not.toBe('');
      const key = `${price.provider}/${price.model}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
      for (const value of [price.inputPerMTok, price.cachedInputPerMTok, price.outputPerMTok])
        expect(value, key).toBeGreaterThanOrEqual(0);
      if (price.provider !== 'anthropic') expect(price.cacheWritePerMTok, key).toBeUndefined();
      if (price.model !== ANY_MODEL) expect(price.source, key).toMatch(/^https:\/\//);
    }
  });

  it('prices every provider but azure-openai for some model, ollama and heuristic at 0 for any model', () => {
    const book = new PriceBook();
    for (const id of PROVIDER_IDS)
      expect(
        BUILT_IN_PRICES.some((price) => price.provider === id),
        id,
      ).toBe(true);
    expect(book.priceOf('ollama', 'llama3.2:3b')).toMatchObject({
      inputPerMTok: 0,
      cachedInputPerMTok: 0,
      outputPerMTok: 0,
    });
    expect(book.priceOf('heuristic', 'mad')).toMatchObject({ inputPerMTok: 0, outputPerMTok: 0 });
    expect(book.costOf('ollama', 'qwen3', { inputTokens: 1e6, outputTokens: 1e6 })).toBe(0);
  });

  it('gives Anthropic rows a cache-write price of 1.25 × input (the 5-minute cache) and hits of at most input', () => {
    for (const price of BUILT_IN_PRICES.filter((item) => item.provider === 'anthropic')) {
      expect(price.cacheWritePerMTok, price.model).toBeCloseTo(price.inputPerMTok * 1.25, 10);
      expect(price.cachedInputPerMTok, price.model).toBeLessThanOrEqual(price.inputPerMTok);
    }
  });
});

describe('findPriceRow', () => {
  const table = [row('gpt-4o', 2.5), row('gpt-4o-mini', 0.15), row('gpt-4.1', 2), row('gpt-4.1-mini', 0.4)];

  it('takes the exact row first', () => {
    expect(findPriceRow(table, 'openai', 'gpt-4o')?.inputPerMTok).toBe(2.5);
    expect(findPriceRow(table, 'openai', 'gpt-4o-mini')?.inputPerMTok).toBe(0.15);
  });

  it('prices a dated snapshot by the longest row id it starts with, followed by -', () => {
    expect(findPriceRow(table, 'openai', 'gpt-4o-2024-08-06')?.model).toBe('gpt-4o');
    expect(findPriceRow(table, 'openai', 'gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(findPriceRow(table, 'openai', 'gpt-4.1-mini-2025-04-14')?.model).toBe('gpt-4.1-mini');
    const anthropic = [row('claude-sonnet-4', 3, 'anthropic'), row('claude-sonnet-4-5', 3.5, 'anthropic')];
    expect(findPriceRow(anthropic, 'anthropic', 'claude-sonnet-4-5-20250929')?.model).toBe('claude-sonnet-4-5');
  });

  it('never gives gpt-4o-mini the price of gpt-4o, whatever the order of the rows', () => {
    for (const rows of [table, [...table].reverse()]) {
      for (const model of ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18'])
        expect(findPriceRow(rows, 'openai', model)?.inputPerMTok, model).toBe(0.15);
    }
    const book = new PriceBook();
    expect(book.priceOf('openai', 'gpt-4o-mini')).not.toEqual(book.priceOf('openai', 'gpt-4o'));
    expect(book.priceOf('openai', 'gpt-4o-mini-2024-07-18')).toEqual(book.priceOf('openai', 'gpt-4o-mini'));
    expect(book.priceOf('openai', 'gpt-4o-2024-08-06')).toEqual(book.priceOf('openai', 'gpt-4o'));
    expect(book.priceOf('anthropic', 'claude-sonnet-4-5-20250929')).toEqual(
      book.priceOf('anthropic', 'claude-sonnet-4-5'),
    );
  });

  it('matches neither a bare prefix, another provider, nor another case', () => {
    expect(findPriceRow(table, 'openai', 'gpt-4')).toBeUndefined();
    expect(findPriceRow(table, 'openai', 'gpt-4omni')).toBeUndefined();
    expect(findPriceRow(table, 'azure-openai', 'gpt-4o')).toBeUndefined();
    expect(findPriceRow(table, 'openai', 'GPT-4o')).toBeUndefined();
  });

  it('falls back to the provider-wide row, after every named row', () => {
    const withAny = [row(ANY_MODEL, 0, 'ollama'), row('llama3', 1, 'ollama')];
    expect(findPriceRow(withAny, 'ollama', 'llama3-8b')?.inputPerMTok).toBe(1);
    expect(findPriceRow(withAny, 'ollama', 'qwen3')?.inputPerMTok).toBe(0);
  });

  it('lets a later row of the same provider and model win (the user file over the built-in table)', () => {
    expect(findPriceRow([...table, row('gpt-4o', 9)], 'openai', 'gpt-4o-2024-08-06')?.inputPerMTok).toBe(9);
  });
});

describe('PriceBook', () => {
  it('answers undefined, and a null cost, for a model nobody priced', () => {
    const book = new PriceBook();
    expect(book.priceOf('openai', 'gpt-9-ultra')).toBeUndefined();
    expect(book.costOf('openai', 'gpt-9-ultra', { inputTokens: 10, outputTokens: 10 })).toBeNull();
    expect(book.priceOf('azure-openai', 'my-deployment')).toBeUndefined();
  });

  it('returns the price without its provider and model, with source and date', () => {
    const price = new PriceBook().priceOf('openai', 'gpt-4.1-mini');
    expect(price).toEqual({
      inputPerMTok: 0.4,
      cachedInputPerMTok: 0.1,
      outputPerMTok: 1.6,
      source: 'https://developers.openai.com/api/docs/pricing',
      asOf: '2026-11-30',
    });
  });

  it('puts the user rows over the built-in ones: replacing, adding, and never leaking to a longer name', () => {
    const book = new PriceBook();
    book.setUserRows([row('gpt-4o', 7), row('my-gpt', 1, 'azure-openai')]);
    expect(book.priceOf('openai', 'gpt-4o')?.inputPerMTok).toBe(7);
    expect(book.priceOf('openai', 'gpt-4o-mini')?.inputPerMTok).toBe(0.15);
    expect(book.priceOf('azure-openai', 'my-gpt')?.inputPerMTok).toBe(1);
    book.setUserRows([]);
    expect(book.priceOf('openai', 'gpt-4o')?.inputPerMTok).toBe(2.5);
    expect(book.priceOf('azure-openai', 'my-gpt')).toBeUndefined();
  });

  it('costs a call from its usage: uncached, cached, cache-written and output tokens each at their price', () => {
    const book = new PriceBook();
    // claude-sonnet-4-5: $3 in, $3.75 cache write, $0.30 cache hit, $15 out.
    const cost = book.costOf('anthropic', 'claude-sonnet-4-5-20250929', {
      inputTokens: 10_000,
      cachedInputTokens: 6_000,
      cacheWriteInputTokens: 3_000,
      outputTokens: 500,
    });
    expect(cost).toBeCloseTo((1_000 * 3 + 6_000 * 0.3 + 3_000 * 3.75 + 500 * 15) / 1e6, 12);
  });
});
