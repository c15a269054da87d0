/**
 * A URL safe to print or log: the password becomes `****` and the query,
 * where sources and gateways often carry tokens, becomes `?…`. Anything that
 * does not parse as a URL is shown as `<invalid url>`, never as it came.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    const query = parsed.search ? '?…' : '';
    parsed.search = '';
    parsed.hash = '';
    return `${parsed.toString()}${query}`;
  } catch {
    return '<invalid url>';
  }
}
