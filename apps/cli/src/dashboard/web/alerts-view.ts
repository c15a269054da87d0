/**
 * The alerts view: every alert the page has (the log's latest, then live ones), newest first, filtered by stream and
 * severity (kept in the address, so a filtered view can be bookmarked); a click shows the alert's summary and the
 * messages it cites, read back from the stream by entry id. Every alert gets a row once; the filter only hides rows,
 * so a live alert costs one row inserted, whatever the list holds.
 */
import { DASHBOARD_LIMITS, type DashboardAlert, type DashboardEvidence, type DashboardSeverity } from '../api.js';
import { compactCount, dollars } from '../../report/figures.js';
import { byId, h } from './dom.js';
import {
  type AlertFilter,
  clockTime,
  duration,
  filterFromHash,
  hashOfFilter,
  insertionIndex,
  matches,
  prettyMessage,
  receivedAt,
} from './format.js';

/** How many alerts the page keeps (the oldest go). */
const KEPT = DASHBOARD_LIMITS.recentAlerts * 2;

export class AlertsView {
  readonly #body = byId<HTMLTableSectionElement>('alerts-body');
  readonly #detail = byId('alert-detail');
  readonly #count = byId('alerts-count');
  readonly #streamSelect = byId<HTMLSelectElement>('filter-stream');
  readonly #severitySelect = byId<HTMLSelectElement>('filter-severity');
  readonly #sorted: DashboardAlert[] = [];
  readonly #rows = new Map<string, HTMLTableRowElement>();
  readonly #streams = new Set<string>();
  #filter: AlertFilter = { stream: '', severity: '' };
  #selected: string | undefined;
  /** Called with each alert that arrives live (not from the log). */
  onLive: (alert: DashboardAlert) => void = () => {};

  constructor() {
    const changed = () => {
      this.setFilter({
        stream: this.#streamSelect.value,
        severity: this.#severitySelect.value as '' | DashboardSeverity,
      });
      history.replaceState(null, '', hashOfFilter(this.#filter));
    };
    this.#streamSelect.addEventListener('change', changed);
    this.#severitySelect.addEventListener('change', changed);
    byId('alert-filters').addEventListener('submit', (event) => event.preventDefault());
    this.#showCount();
  }

  /** The filter of the address (`#alerts?stream=…&severity=…`). */
  readFilter(hash: string): void {
    this.setFilter(filterFromHash(hash));
  }

  setFilter(filter: AlertFilter): void {
    this.#filter = filter;
    if (filter.stream) this.#addStream(filter.stream);
    this.#streamSelect.value = filter.stream;
    this.#severitySelect.value = filter.severity;
    for (const alert of this.#sorted) {
      const row = this.#rows.get(alert.id);
      if (row) row.hidden = !matches(alert, filter);
    }
    this.#showCount();
  }

  /** Streams the filter offers even before they alert. */
  setStreams(ids: readonly string[]): void {
    for (const id of ids) this.#addStream(id);
  }

  /** Adds alerts of the log (on every (re)connection: those already here are skipped). */
  addMany(alerts: readonly DashboardAlert[]): void {
    for (const alert of alerts) this.add(alert, false);
  }

  /** Adds one alert, unless the page has it; `live`: it was just published. */
  add(alert: DashboardAlert, live = true): void {
    if (this.#rows.has(alert.id)) return;
    const index = insertionIndex(this.#sorted, alert);
    this.#sorted.splice(index, 0, alert);
    const row = this.#row(alert);
    row.hidden = !matches(alert, this.#filter);
    const next = this.#sorted[index + 1];
    this.#body.insertBefore(row, next ? (this.#rows.get(next.id) ?? null) : null);
    this.#rows.set(alert.id, row);
    this.#addStream(alert.streamId);
    while (this.#sorted.length > KEPT) {
      const oldest = this.#sorted.pop() as DashboardAlert;
      this.#rows.get(oldest.id)?.remove();
      this.#rows.delete(oldest.id);
    }
    this.#showCount();
    if (live) this.onLive(alert);
  }

  #addStream(id: string): void {
    if (this.#streams.has(id)) return;
    this.#streams.add(id);
    const options = [...this.#streamSelect.options].slice(1);
    const before = options.find((option) => option.value > id) ?? null;
    this.#streamSelect.insertBefore(h('option', { attrs: { value: id } }, id), before);
  }

  #showCount(): void {
    const shown = this.#sorted.filter((alert) => matches(alert, this.#filter)).length;
    this.#count.textContent =
      shown === this.#sorted.length ? `${shown} alerts` : `${shown} of ${this.#sorted.length} alerts`;
  }

  #row(alert: DashboardAlert): HTMLTableRowElement {
    return h(
      'tr',
      {
        data: { alertId: alert.id, stream: alert.streamId, severity: alert.severity },
        attrs: { 'aria-selected': 'false' },
        onClick: () => this.select(alert.id),
      },
      h('td', { className: 'time', title: alert.createdAt }, clockTime(alert.createdAt)),
      h('td', {}, h('span', { className: `sev sev-${alert.severity}` }, alert.severity)),
      h('td', {}, alert.streamId),
      h('td', { className: 'title' }, alert.title),
      h('td', {}, `${alert.provider}/${alert.model}`),
      h('td', { className: 'num' }, `${duration(alert.timings.ttftMs)} / ${duration(alert.timings.totalMs)}`),
    );
  }

  /** Shows alert `id`'s details and fetches the messages it cites. */
  select(id: string): void {
    const alert = this.#sorted.find((candidate) => candidate.id === id);
    if (!alert) return;
    if (this.#selected) this.#rows.get(this.#selected)?.setAttribute('aria-selected', 'false');
    this.#selected = id;
    this.#rows.get(id)?.setAttribute('aria-selected', 'true');
    const evidence = h('ol', { className: 'evidence', attrs: { 'aria-busy': 'true' } });
    const cost = alert.usage.costUsd === null ? 'no price' : dollars(alert.usage.costUsd);
    this.#detail.replaceChildren(
      h('h3', {}, alert.title),
      h(
        'dl',
        { className: 'facts' },
        h('dt', {}, 'severity'),
        h('dd', {}, h('span', { className: `sev sev-${alert.severity}` }, alert.severity)),
        h('dt', {}, 'stream'),
        h('dd', {}, alert.streamId),
        h('dt', {}, 'model'),
        h('dd', {}, `${alert.provider}/${alert.model}`),
        h('dt', {}, 'window'),
        h('dd', {}, `${alert.windowId}: ${alert.window.messages} messages, ${alert.window.from} to ${alert.window.to}`),
        h('dt', {}, 'timings'),
        h(
          'dd',
          {},
          `queued ${duration(alert.timings.queuedMs)}, first token ${duration(alert.timings.ttftMs)}, ` +
            `total ${duration(alert.timings.totalMs)}`,
        ),
        h('dt', {}, 'usage'),
        h(
          'dd',
          {},
          `${compactCount(alert.usage.inputTokens)} in / ${compactCount(alert.usage.outputTokens)} out tokens, ${cost}`,
        ),
        h('dt', {}, 'published'),
        h('dd', {}, alert.createdAt),
      ),
      h('p', { className: 'summary' }, alert.summary),
      h('h4', {}, `Evidence: ${alert.evidence.length} message${alert.evidence.length === 1 ? '' : 's'} cited`),
      evidence,
    );
    if (alert.evidence.length === 0) {
      evidence.append(h('li', { className: 'missing' }, 'the alert cites no message'));
      evidence.setAttribute('aria-busy', 'false');
      return;
    }
    void this.#loadEvidence(alert, evidence);
  }

  async #loadEvidence(alert: DashboardAlert, list: HTMLOListElement): Promise<void> {
    const ids = alert.evidence.slice(0, DASHBOARD_LIMITS.evidenceIds);
    const query = new URLSearchParams({ stream: alert.streamId, ids: ids.join(',') });
    let reply: DashboardEvidence;
    try {
      const response = await fetch(`/api/evidence?${query}`, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
      reply = (await response.json()) as DashboardEvidence;
    } catch (error) {
      if (this.#selected !== alert.id) return;
      list.replaceChildren(h('li', { className: 'missing' }, `cannot read the messages: ${String(error)}`));
      list.setAttribute('aria-busy', 'false');
      return;
    }
    if (this.#selected !== alert.id) return;
    list.replaceChildren(
      ...reply.entries.map((entry) =>
        h(
          'li',
          { data: { entryId: entry.id, found: String(entry.found) } },
          h('span', { className: 'time' }, entry.id),
          entry.receivedAt === undefined
            ? null
            : h('span', { className: 'time' }, `  received ${receivedAt(entry.receivedAt)}`),
          !entry.found
            ? h('div', { className: 'missing' }, 'no longer in the stream (trimmed after the retention time)')
            : entry.kind === 'gap'
              ? h('div', { className: 'missing' }, `a gap: data may be missing here (${entry.reason ?? 'unknown'})`)
              : h('pre', {}, prettyMessage(entry.data ?? '')),
        ),
      ),
    );
    list.setAttribute('aria-busy', 'false');
  }
}
