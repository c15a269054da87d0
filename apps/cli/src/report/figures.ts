/**
 * How the report writes its figures: the same in \`turbostream report\`'s table and on the dashboard's page, which
 * imports this module as is (it must stay free of Node, the DOM and any package).
 */

/** 950, 12.4k, 1.24M */
export function compactCount(value: number): string {
  if (value < 10_000) return String(value);
  if (value < 1_000_000) return `${Number((value / 1_000).toPrecision(3))}k`;
  return `${Number((value / 1_000_000).toPrecision(3))}M`;
}

/** $0.0123, $1.25, $123: three significant digits, never in exponent form. */
export function dollars(value: number): string {
  if (value === 0) return '$0';
  if (value >= 100) return `$${Math.round(value)}`;
  return `$${Number(value.toPrecision(3)).toString()}`;
}

/** `412/980`: a p50 and p95 in whole milliseconds; `-` without one. */
export const pair = (value: { p50: number; p95: number } | null): string =>
  value ? `${Math.round(value.p50)}/${Math.round(value.p95)}` : '-';

/** `86 %` */
export const percent = (value: number): string => `${Math.round(value * 100)} %`;
