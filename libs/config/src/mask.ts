/** Masks a secret for display: only its length class and last four characters show (`****wxyz`). */
export function maskSecret(value: string | undefined): string {
  if (value === undefined || value === '') return '(not set)';
  if (value.length < 12) return '****';
  return `****${value.slice(-4)}`;
}
