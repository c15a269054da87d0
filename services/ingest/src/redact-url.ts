/**
 * A source URL safe for logs and events: scheme, host and path only. Query
 * strings and user info are dropped because sources often carry tokens there.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const query = parsed.search ? '?…' : '';
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`;
  } catch {
    return '<invalid url>';
  }
}
