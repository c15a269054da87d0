/** PromQL's keywords and aggregation modifiers: words of a query that are not metric names. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: every identifier outside strings, label matchers (`{…}`), ranges
 * (`[…]`) and grouping lists (`by (…)`), that is not a function call, a keyword or a Grafana variable. Enough for the
 * queries of a dashboard; not a PromQL parser.
 */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{[^}]*\}|\$[A-Za-z_]\w*/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // numbers and durations (`0.95`, `5m`, `1e3`)
    .replace(/\b\d[\w.]*/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice((match.index ?? 0) + word.length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Every `expr` of a Grafana dashboard's panels (rows' panels included). */
export function dashboardQueries(dashboard: unknown): string[] {
  const exprs: string[] = [];
  const visit = (panels: unknown) => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels as { targets?: { expr?: unknown }[]; panels?: unknown }[]) {
      for (const target of panel.targets ?? []) if (typeof target.expr === 'string') exprs.push(target.expr);
      visit(panel.panels);
    }
  };
  visit((dashboard as { panels?: unknown }).panels);
  return exprs;
}
