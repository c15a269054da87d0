import type { ModelAlert } from '@turbostream/contracts';
import type { FlatMessage } from './json-fields.js';
import { toNumber } from './json-fields.js';
import { formatNumber, median, medianAbsoluteDeviation, modifiedZScore } from './robust-stats.js';

export interface OutlierOptions {
  /** |modified z-score| above which a value is an outlier. */
  threshold: number;
  /** Fields with fewer numeric values are not judged. */
  minSamples: number;
  /** Evidence ids per alert. */
  maxEvidence: number;
}

/** The outliers found in one field. */
export interface FieldOutliers {
  field: string;
  samples: number;
  median: number;
  mad: number;
  outliers: number;
  extreme: { id: string; value: number; z: number };
  /** Ids of the most extreme outliers (at most `maxEvidence`), in window order. */
  evidence: string[];
}

interface Sample {
  id: string;
  value: number;
  order: number;
}

function collectNumericFields(messages: readonly FlatMessage[]): Map<string, Sample[]> {
  const fields = new Map<string, Sample[]>();
  messages.forEach((message, order) => {
    for (const [field, raw] of message.fields) {
      const value = toNumber(raw);
      if (value === undefined) continue;
      const samples = fields.get(field) ?? [];
      samples.push({ id: message.id, value, order });
      fields.set(field, samples);
    }
  });
  return fields;
}

/**
 * Per numeric field, values whose modified z-score exceeds the threshold; fields with MAD 0 or too few values are
 * skipped.
 */
export function findFieldOutliers(messages: readonly FlatMessage[], options: OutlierOptions): FieldOutliers[] {
  const result: FieldOutliers[] = [];
  for (const [field, samples] of collectNumericFields(messages)) {
    if (samples.length < options.minSamples) continue;
    const values = samples.map((sample) => sample.value);
    const center = median(values);
    const mad = medianAbsoluteDeviation(values, center);
    if (!(mad > 0)) continue;
    const scored = samples
      .map((sample) => ({ ...sample, z: modifiedZScore(sample.value, center, mad) }))
      .filter((sample) => Math.abs(sample.z) > options.threshold);
    if (scored.length === 0) continue;
    const byExtremity = [...scored].sort(
      (left, right) => Math.abs(right.z) - Math.abs(left.z) || left.order - right.order,
    );
    const extreme = byExtremity[0] as (typeof byExtremity)[number];
    const evidence = byExtremity
      .slice(0, options.maxEvidence)
      .sort((left, right) => left.order - right.order)
      .map((sample) => sample.id);
    result.push({
      field,
      samples: samples.length,
      median: center,
      mad,
      outliers: scored.length,
      extreme: { id: extreme.id, value: extreme.value, z: extreme.z },
      evidence,
    });
  }
  return result.sort(
    (left, right) =>
      Math.abs(right.extreme.z) - Math.abs(left.extreme.z) ||
      (left.field < right.field ? -1 : left.field > right.field ? 1 : 0),
  );
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** One alert per field with outliers: critical beyond twice the threshold, else a warning. */
export function outlierAlert(found: FieldOutliers, threshold: number): ModelAlert {
  const field = clip(found.field, 80);
  const { extreme } = found;
  const verb = found.outliers === 1 ? 'is an outlier' : 'are outliers';
  return {
    severity: Math.abs(extreme.z) > 2 * threshold ? 'critical' : 'warning',
    title: `${field} outlier: ${formatNumber(extreme.value)} vs median ${formatNumber(found.median)}`,
    summary:
      `${found.outliers} of ${found.samples} ${field} values ${verb} (|modified z-score| ` +
      `> ${formatNumber(threshold)}). ` +
      `Most extreme: ${formatNumber(extreme.value)} in ${extreme.id} (z = ${extreme.z.toFixed(1)}), ` +
      `against a median of ${formatNumber(found.median)} and a median absolute deviation ` +
      `of ${formatNumber(found.mad)}.`,
    evidence: found.evidence,
  };
}
