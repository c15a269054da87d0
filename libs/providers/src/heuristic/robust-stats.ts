/** The median of a list of numbers (not necessarily sorted). `NaN` for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Median absolute deviation around `center`. */
export function medianAbsoluteDeviation(values: readonly number[], center: number = median(values)): number {
  return median(values.map((value) => Math.abs(value - center)));
}

/** Iglewicz and Hoaglin's modified z-score: 0.6745 · (x − median) / MAD. */
export function modifiedZScore(value: number, center: number, mad: number): number {
  return (0.6745 * (value - center)) / mad;
}

/** Numbers for people: integers as they are, others to six significant digits, no exponent for ordinary sizes. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return String(Number(value.toPrecision(6)));
}
