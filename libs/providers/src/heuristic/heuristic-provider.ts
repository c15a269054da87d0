import type { ModelAlert } from '@turbostream/contracts';
import { ProviderError } from '../errors/provider-error.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult } from '../provider.js';
import { errorLevelAlert } from './error-level-alerts.js';
import { flattenMessages } from './json-fields.js';
import { findFieldOutliers, outlierAlert } from './outlier-alerts.js';

export interface HeuristicProviderOptions {
  /**
   * |modified z-score| above which a value is an outlier; beyond twice this the alert is critical.
   * @defaultValue 6
   */
  threshold?: number;
  /**
   * Fields with fewer numeric values in a window are not judged.
   * @defaultValue 8
   */
  minSamples?: number;
  /**
   * Nested objects are flattened to dotted paths down to this depth.
   * @defaultValue 3
   */
  maxDepth?: number;
}

/** A model answer holds at most this many alerts (ModelAnswer). */
const MAX_ALERTS = 20;
const MAX_OUTLIER_EVIDENCE = 10;
const MAX_ERROR_EVIDENCE = 50;

/**
 * The built-in provider: no network, no key. Finds robust outliers (median
 * and MAD) in the numeric fields of JSON messages, and messages that report
 * an error level. The model name is free text and ignored.
 */
export function createHeuristicProvider(options: HeuristicProviderOptions = {}): AnalysisProvider {
  const threshold = options.threshold ?? 6;
  const minSamples = options.minSamples ?? 8;
  const maxDepth = options.maxDepth ?? 3;
  if (!(threshold > 0)) throw new RangeError(`heuristic threshold must be above 0, got ${threshold}`);

  return {
    id: 'heuristic',
    async analyze(request: AnalysisRequest): Promise<AnalysisResult> {
      if (request.signal?.aborted)
        throw new ProviderError({
          provider: 'heuristic',
          kind: 'transient',
          message: 'heuristic analysis was aborted',
        });
      const started = performance.now();
      const messages = flattenMessages(request.window.messages, maxDepth);
      const alerts: ModelAlert[] = [];
      const errors = errorLevelAlert(messages, MAX_ERROR_EVIDENCE);
      if (errors) alerts.push(errors);
      for (const found of findFieldOutliers(messages, { threshold, minSamples, maxEvidence: MAX_OUTLIER_EVIDENCE })) {
        alerts.push(outlierAlert(found, threshold));
      }
      const elapsed = performance.now() - started;
      return {
        answer: { alerts: alerts.slice(0, MAX_ALERTS) },
        timings: { ttftMs: elapsed, totalMs: elapsed },
        usage: { inputTokens: 0, outputTokens: 0 },
        finishReason: 'stop',
      };
    },
  };
}
