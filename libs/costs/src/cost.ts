/**
 * Token usage of one model call as every provider reports it (the shape of `AnalysisUsage` in
 * `@turbostream/providers`). `inputTokens` counts every input token, the cached ones included:
 * `cachedInputTokens` were read from the provider's prompt cache and `cacheWriteInputTokens` written to it
 * (Anthropic bills writes apart); both are parts of `inputTokens`.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** US dollars per million tokens of one model, with where and when the figures were read. */
export interface ModelPrice {
  inputPerMTok: number;
  /** Input read from the prompt cache; the input price where the provider has no cache discount. */
  cachedInputPerMTok: number;
  /** Input written to the prompt cache (Anthropic: 1.25 × input for the 5-minute cache); else the input price. */
  cacheWritePerMTok?: number;
  outputPerMTok: number;
  /** The page the figures come from (a URL), or `user price file` for the user's own rows. */
  source: string;
  /** The day the figures were read (YYYY-MM-DD). */
  asOf: string;
}

const PER_TOKEN = 1 / 1_000_000;

/**
 * What a call cost in US dollars: uncached input at the input price, cache reads and cache writes at theirs,
 * output at the output price. Parts are clamped so that a provider's odd report (more cached tokens than input)
 * never makes a negative cost.
 */
export function costUsd(usage: TokenUsage, price: ModelPrice): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const written = Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens - cached);
  const uncached = usage.inputTokens - cached - written;
  return (
    (uncached * price.inputPerMTok +
      cached * price.cachedInputPerMTok +
      written * (price.cacheWritePerMTok ?? price.inputPerMTok) +
      usage.outputTokens * price.outputPerMTok) *
    PER_TOKEN
  );
}
