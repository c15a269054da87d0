import { ProviderError } from './errors/provider-error.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult, AnalysisUsage } from './provider.js';

/** Both calls' usage added up: cache reads and cache writes too, so that both are priced. */
function addUsage(second: AnalysisUsage, first: AnalysisUsage | undefined): AnalysisUsage {
  if (!first) return second;
  const cached = (second.cachedInputTokens ?? 0) + (first.cachedInputTokens ?? 0);
  const written = (second.cacheWriteInputTokens ?? 0) + (first.cacheWriteInputTokens ?? 0);
  return {
    inputTokens: second.inputTokens + first.inputTokens,
    outputTokens: second.outputTokens + first.outputTokens,
    ...(cached > 0 ? { cachedInputTokens: cached } : {}),
    ...(written > 0 ? { cacheWriteInputTokens: written } : {}),
  };
}

/** The part of an invalid-output message after the provider name, as the problem to show the model. */
function problemOf(error: ProviderError): string {
  return error.message.replace(/^\S+ /, '');
}

/**
 * Analyses a window, and when the model's answer is invalid, asks once more
 * with the invalid answer and what was wrong with it. A second invalid answer
 * fails with the reason. Usage adds up over both calls (when the provider reported the first call's on the error);
 * `totalMs` covers both; `ttftMs` is the first call's.
 */
export async function analyzeWithRepair(
  provider: AnalysisProvider,
  request: AnalysisRequest,
): Promise<AnalysisResult & { repaired: boolean }> {
  const startedAt = performance.now();
  try {
    return { ...(await provider.analyze(request)), repaired: false };
  } catch (error) {
    if (!ProviderError.isInstance(error) || error.kind !== 'invalid-output' || error.output === undefined) throw error;
    const firstUsage = error.usage;
    const firstProblem = problemOf(error);
    let repaired: AnalysisResult;
    try {
      repaired = await provider.analyze({
        ...request,
        repair: { previousOutput: error.output, problem: firstProblem },
      });
    } catch (second) {
      if (ProviderError.isInstance(second) && second.kind === 'invalid-output') {
        throw new ProviderError({
          provider: second.provider,
          kind: 'invalid-output',
          message: `${second.message} (after one repair attempt; first answer: ${firstProblem})`,
          ...(second.output !== undefined ? { output: second.output } : {}),
        });
      }
      throw second;
    }
    return {
      ...repaired,
      timings: { ttftMs: repaired.timings.ttftMs, totalMs: performance.now() - startedAt },
      usage: addUsage(repaired.usage, firstUsage),
      raw: { ...repaired.raw, repairedAfter: firstProblem },
      repaired: true,
    };
  }
}
