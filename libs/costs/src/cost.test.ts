import { describe, expect, it } from 'vitest';
import { costUsd, type ModelPrice } from './cost.js';

const price: ModelPrice = {
  inputPerMTok: 3,
  cachedInputPerMTok: 0.3,
  cacheWritePerMTok: 3.75,
  outputPerMTok: 15,
  source: 'test',
  asOf: '2026-11-30',
};

describe('costUsd', () => {
  it('prices uncached input, cache reads, cache writes and output each at their own rate', () => {
    // 1,000 uncached, 2,000 read, 500 written, 400 out.
    const usage = { inputTokens: 3_500, cachedInputTokens: 2_000, cacheWriteInputTokens: 500, outputTokens: 400 };
    expect(costUsd(usage, price)).toBeCloseTo((1_000 * 3 + 2_000 * 0.3 + 500 * 3.75 + 400 * 15) / 1e6, 12);
  });

  it('charges cache writes at the input price when the model has no write price', () => {
    const { cacheWritePerMTok: _, ...noWritePrice } = price;
    expect(costUsd({ inputTokens: 1_000, cacheWriteInputTokens: 1_000, outputTokens: 0 }, noWritePrice)).toBeCloseTo(
      0.003,
      12,
    );
  });

  it('never goes negative when a provider reports more cached tokens than input', () => {
    expect(costUsd({ inputTokens: 100, cachedInputTokens: 500, outputTokens: 0 }, price)).toBeCloseTo(
      (100 * 0.3) / 1e6,
      12,
    );
  });
});
