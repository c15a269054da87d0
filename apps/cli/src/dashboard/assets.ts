/**
 * The dashboard's page: its HTML and CSS (here, so they ship inside dist/ with the server), and its scripts, compiled
 * by tsc from web/ to ES modules in dist/dashboard-web/ and served under /app/ as they are (no bundler, no CDN: everything is served by the dashboard
 * itself, so it works offline). No inline script or style anywhere: the Content-Security-Policy forbids them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where tsc puts the page's modules (src/dashboard/web/tsconfig.json): dashboard/web/*.js with the modules it shares,
 * dashboard/api.js and report/figures.js. From src/dashboard/ and dist/dashboard/ alike: both are two levels down.
 */
export const SCRIPTS_DIR = fileURLToPath(new URL('../../dist/dashboard-web/', import.meta.url));

/** The page's entry module, under /app/. */
export const MAIN_SCRIPT = 'dashboard/web/main.js';

/** The page's scripts by their path under `dir` (`dashboard/web/main.js`, …), read once at start. */
export function loadScripts(dir = SCRIPTS_DIR): Map<string, Buffer> {
  let paths: string[];
  try {
    paths = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((path) => path.split(sep).join('/'))
      .filter((path) => /^([a-z][a-z0-9-]*\/)*[a-z][a-z0-9-]*\.js$/.test(path));
  } catch {
    paths = [];
  }
  if (!paths.includes(MAIN_SCRIPT))
    throw new Error(`the dashboard's page is not built (${join(dir, MAIN_SCRIPT)} is missing): run \`npm run build\``);
  return new Map(paths.map((path) => [path, readFileSync(join(dir, path))]));
}

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TurboStream</title>
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app/dashboard/web/main.js"></script>
</head>
<body>
<header>
  <h1>TurboStream</h1>
  <nav>
    <a href="#streams" data-view="streams">Streams</a>
    <a href="#alerts" data-view="alerts">Alerts <span id="alerts-badge" class="badge" hidden></span></a>
    <a href="#compare" data-view="compare">Compare</a>
    <a href="#providers" data-view="providers">Providers</a>
  </nav>
  <span id="connection" class="connection" data-state="connecting">connecting…</span>
</header>
<main>
  <section id="view-streams" class="view" data-view="streams">
    <div id="streams-list" class="cards"><p class="empty">Waiting for the server…</p></div>
    <h2>Operational events</h2>
    <ol id="events-list" class="events"><li class="empty">none yet</li></ol>
  </section>
  <section id="view-alerts" class="view" data-view="alerts" hidden>
    <form id="alert-filters" class="filters">
      <label>Stream <select id="filter-stream" name="stream"><option value="">all streams</option></select></label>
      <label>Severity <select id="filter-severity" name="severity">
        <option value="">all severities</option>
        <option value="critical">critical</option>
        <option value="warning">warning</option>
        <option value="info">info</option>
      </select></label>
      <span id="alerts-count" class="count"></span>
    </form>
    <div class="split">
      <table class="alerts">
        <thead><tr><th>time</th><th>severity</th><th>stream</th><th>title</th><th>model</th><th>ttft / total</th></tr></thead>
        <tbody id="alerts-body"></tbody>
      </table>
      <aside id="alert-detail" class="detail"><p class="empty">Click an alert to see its summary and the messages it cites.</p></aside>
    </div>
  </section>
  <section id="view-compare" class="view" data-view="compare" hidden>
    <p class="period">The latest windows of each stream that compares models, side by side: what each target made of each (– : not analysed, sampled out or not yet), under how the targets agree (as <code>turbostream report</code> computes it).</p>
    <div id="compare-streams"><p class="empty">Waiting for the server…</p></div>
  </section>
  <section id="view-providers" class="view" data-view="providers" hidden>
    <p id="providers-period" class="period"></p>
    <div id="providers-streams"></div>
    <h2>Analyzers</h2>
    <table class="analyzers">
      <thead><tr><th>instance</th><th>providers</th><th>concurrency</th><th>last heartbeat</th><th>state</th></tr></thead>
      <tbody id="analyzers-body"></tbody>
    </table>
  </section>
</main>
</body>
</html>
`;

export const APP_CSS = `:root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --bg: #f7f8fa; --card: #fff;
  --line: #d9dde3; --accent: #2f6fde; --critical: #c62828; --warning: #b26a00; --info: #1e6fb8; --ok: #2e7d32; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --muted: #98a2b3; --bg: #12151b; --card: #1b1f27;
  --line: #2c323d; --accent: #7aa7ff; --critical: #ff6b6b; --warning: #ffb74d; --info: #64b5f6; --ok: #81c784; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: var(--card); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 15px; margin: 24px 0 8px; }
nav { display: flex; gap: 4px; }
nav a { padding: 6px 12px; border-radius: 6px; color: var(--fg); text-decoration: none; }
nav a[aria-current="page"] { background: var(--accent); color: #fff; }
.badge { display: inline-block; min-width: 18px; padding: 0 5px; border-radius: 9px; background: var(--critical); color: #fff; font-size: 11px; text-align: center; }
.connection { margin-left: auto; font-size: 12px; color: var(--muted); }
.connection[data-state="live"]::before { content: "● "; color: var(--ok); }
.connection[data-state="down"]::before, .connection[data-state="connecting"]::before { content: "● "; color: var(--warning); }
main { padding: 16px 20px 40px; }
.empty { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card h3 { margin: 0 0 2px; font-size: 15px; }
.card .url { color: var(--muted); font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 8px 0 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.alarm { margin: 6px 0 0; padding: 4px 8px; border-radius: 4px; border-left: 4px solid var(--critical); background: color-mix(in srgb, var(--critical) 10%, transparent); }
.alarm b { margin-right: 6px; }
.alarm[data-kind="BUDGET"] { border-color: var(--warning); background: color-mix(in srgb, var(--warning) 12%, transparent); }
ol.events { list-style: none; padding: 0; margin: 0; font-size: 13px; }
ol.events li { padding: 3px 0; border-bottom: 1px solid var(--line); }
ol.events .type { font-family: ui-monospace, monospace; margin: 0 8px; }
time, .time { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.filters { display: flex; gap: 16px; align-items: center; margin-bottom: 10px; }
.filters select { margin-left: 4px; }
.count { color: var(--muted); }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 14px; align-items: start; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.alerts tbody tr { cursor: pointer; }
table.alerts tbody tr:hover { background: color-mix(in srgb, var(--accent) 8%, transparent); }
table.alerts tbody tr[aria-selected="true"] { background: color-mix(in srgb, var(--accent) 16%, transparent); }
.sev { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; color: #fff; }
.sev-critical { background: var(--critical); }
.sev-warning { background: var(--warning); }
.sev-info { background: var(--info); }
.detail { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; position: sticky; top: 60px; max-height: calc(100vh - 80px); overflow: auto; }
.detail h3 { margin: 0 0 6px; font-size: 15px; word-break: break-word; }
.detail .summary { white-space: pre-wrap; word-break: break-word; }
.evidence { list-style: none; padding: 0; margin: 0; }
.evidence li { margin: 6px 0; }
.evidence pre { margin: 2px 0 0; padding: 6px 8px; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.evidence .missing { color: var(--muted); font-style: italic; }
.period { color: var(--muted); }
.stream-score { margin-bottom: 18px; }
.agreement { color: var(--muted); font-size: 13px; margin: 4px 0 0; }
.state-live { color: var(--ok); }
form.change-form fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0 0; padding: 6px 10px 8px; display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; }
form.change-form legend { color: var(--muted); font-size: 12px; padding: 0 4px; }
form.change-form label { display: flex; gap: 4px; align-items: center; color: var(--muted); font-size: 12px; }
form.change-form label.wide { flex: 1 1 100%; }
form.change-form label.wide input { flex: 1; }
form.change-form input { font: 12px ui-monospace, monospace; padding: 3px 5px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); min-width: 0; }
form.change-form button { font-size: 12px; padding: 3px 10px; }
.change-disabled, .switch-result, .ask-status { margin: 4px 0 0; font-size: 12px; color: var(--muted); white-space: pre-wrap; word-break: break-word; }
.switch-result[data-state="ok"] { color: var(--ok); }
.switch-result[data-state="error"] { color: var(--critical); }
.switch-result .warning { display: block; color: var(--warning); }
form.change-form textarea { flex: 1 1 100%; font: 13px system-ui, sans-serif; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); resize: vertical; }
.ask-status[data-state="error"] { color: var(--critical); }
.answer { margin: 6px 0 0; padding: 6px 8px; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; white-space: pre-wrap; word-break: break-word; font: 13px/1.45 system-ui, sans-serif; }
.answer:empty { display: none; }
.ask-figures { margin: 4px 0 0; font-size: 12px; color: var(--muted); }
.state-gone { color: var(--muted); }
.stream-compare { margin-bottom: 20px; }
table.compare { margin-top: 6px; }
table.compare td.cell { font-size: 13px; }
.outcome-none { color: var(--muted); }
.outcome-failed, .outcome-rate-limited { color: var(--warning); }
.sev-text-critical { color: var(--critical); font-weight: 600; }
.sev-text-warning { color: var(--warning); font-weight: 600; }
.sev-text-info { color: var(--info); }
.rate { display: flex; gap: 8px; align-items: center; font-size: 12px; }
svg.sparkline { stroke: var(--accent); stroke-width: 1.5; }
`;
