import { ProviderError } from './errors/provider-error.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from './provider.js';

/** The part of an invalid-output message after the provider name, as the problem to show the model. */
function problemOf(error: ProviderError): string {
  return error.message.replace(/^\S+ /, '');
}

/**
 * Analyses a window, and when the model's answer is invalid, asks once more
 * with the invalid answer and what was wrong with it. A second invalid answer
 * fails with the reason. Usage adds up over both calls; `totalMs` covers both;
 * `ttftMs` is the first call's.
 */
export async function analyzeWithRepair(provider: AnalysisProvider, request: AnalysisRequest): Promise<AnalysisResult & { repaired: boolean }> {
  const startedAt = performance.now();
  try {
    return { ...(await provider.analyze(request)), repaired: false };
  } catch (error) {
    if (!ProviderError.isInstance(error) || error.kind !== 'invalid-output' || error.output === undefined) throw error;
    const firstProblem = problemOf(error);
    let repaired: AnalysisResult;
    try {
      repaired = await provider.analyze({ ...request, repair: { previousOutput: error.output, problem: firstProblem } });
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
      raw: { ...repaired.raw, repairedAfter: firstProblem },
      repaired: true,
    };
  }
}
