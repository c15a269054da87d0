import type { ProviderId } from '@turbostream/contracts';
import type { PriceBook } from '@turbostream/costs';
import type { TurboMetrics } from '@turbostream/metrics';
import { type AnalysisProvider, type AnalysisRequest, type AnalysisUsage, ProviderError } from '@turbostream/providers';

/** `gen_ai.operation.name` of every model call: a chat completion, whatever the provider calls it. */
const OPERATION = 'chat';

/** `error.type` when a failure is not a ProviderError (OpenTelemetry's fallback value). */
const OTHER_ERROR = '_OTHER';

/** The tokens of a call by `gen_ai_token_type`, as `turbostream_llm_tokens_total` counts them. */
function tokensByType(usage: AnalysisUsage): [string, number][] {
  return [
    ['input', usage.inputTokens],
    ['output', usage.outputTokens],
    ['cached_input', usage.cachedInputTokens ?? 0],
    ['cache_write_input', usage.cacheWriteInputTokens ?? 0],
  ];
}

/**
 * The provider, every model call of it measured: duration (with `error_type` on failures), time to first token,
 * tokens (the GenAI histogram of input and output per call, and the counter by type) and dollars. A repair is a call
 * of its own. The heuristic calls no model and is returned as it is.
 */
export function measuredProvider(
  provider: AnalysisProvider,
  { metrics, prices }: { metrics: TurboMetrics; prices: PriceBook },
): AnalysisProvider {
  if (provider.id === 'heuristic') return provider;
  const id: ProviderId = provider.id;
  const duration = metrics.metric('llmDuration');
  const tokenUsage = metrics.metric('llmTokenUsage');
  const tokens = metrics.metric('llmTokens');
  const cost = metrics.metric('llmCost');
  const ttft = metrics.metric('llmTimeToFirstToken');
  const recordUsage = (model: string, usage: AnalysisUsage) => {
    const call = { gen_ai_provider_name: id, gen_ai_request_model: model };
    tokenUsage.observe({ ...call, gen_ai_operation_name: OPERATION, gen_ai_token_type: 'input' }, usage.inputTokens);
    tokenUsage.observe({ ...call, gen_ai_operation_name: OPERATION, gen_ai_token_type: 'output' }, usage.outputTokens);
    for (const [type, count] of tokensByType(usage))
      if (count > 0) tokens.inc({ ...call, gen_ai_token_type: type }, count);
    const dollars = prices.costOf(id, model, usage);
    if (dollars !== null && dollars > 0) cost.inc(call, dollars);
  };
  const analyze = async (request: AnalysisRequest) => {
    const call = { gen_ai_provider_name: id, gen_ai_request_model: request.model, gen_ai_operation_name: OPERATION };
    const startedAt = performance.now();
    try {
      const result = await provider.analyze(request);
      duration.observe(call, Math.max(0, result.timings.totalMs) / 1000);
      ttft.observe(
        { gen_ai_provider_name: id, gen_ai_request_model: request.model },
        Math.max(0, result.timings.ttftMs) / 1000,
      );
      recordUsage(request.model, result.usage);
      return result;
    } catch (error) {
      const errorType = ProviderError.isInstance(error) ? error.kind : OTHER_ERROR;
      duration.observe({ ...call, error_type: errorType }, (performance.now() - startedAt) / 1000);
      if (ProviderError.isInstance(error) && error.usage) recordUsage(request.model, error.usage);
      throw error;
    }
  };
  // Everything else of the provider (whatever it has besides analyze) is its own.
  return new Proxy(provider, {
    get(target, property) {
      if (property === 'analyze') return analyze;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
