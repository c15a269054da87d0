/**
 * The providers view: per stream and target, the figures of `turbostream report` over the last hour (time to first
 * token and total time p50/p95, tokens, dollars, failures and 429s) and how compared targets agree; then the
 * analyzers and their heartbeats.
 */
import type { DashboardAgreement, DashboardProviders, DashboardTargetScore } from '../api.js';
import { percent, SCORE_COLUMNS } from '../../report/figures.js';
import { byId, h } from './dom.js';
import { clockTime, duration } from './format.js';

const COLUMNS = ['target', ...SCORE_COLUMNS.map((column) => column.title)];

export class ProvidersView {
  readonly #period = byId('providers-period');
  readonly #streams = byId('providers-streams');
  readonly #analyzers = byId<HTMLTableSectionElement>('analyzers-body');

  render(providers: DashboardProviders): void {
    this.#period.textContent =
      `Analyses of the last ${providers.since} (${clockTime(providers.from)} to ${clockTime(providers.to)}): ` +
      `${providers.records} records` +
      `${providers.trimmed ? '; the capped log no longer holds the start of the period' : ''}.`;
    this.#streams.replaceChildren(
      ...providers.streams.map((stream) =>
        h(
          'section',
          { className: 'stream-score', data: { streamId: stream.streamId } },
          h('h3', {}, stream.streamId),
          stream.targets.length === 0
            ? h('p', { className: 'empty' }, 'no analysis in the period')
            : h(
                'table',
                { className: 'scores' },
                h(
                  'thead',
                  {},
                  h('tr', {}, ...COLUMNS.map((name, index) => h('th', index > 0 ? { className: 'num' } : {}, name))),
                ),
                h('tbody', {}, ...stream.targets.map((score) => this.#scoreRow(score))),
              ),
          ...stream.agreement.map((agreement) => h('p', { className: 'agreement' }, agreementText(agreement))),
        ),
      ),
    );
    if (providers.streams.length === 0)
      this.#streams.append(h('p', { className: 'empty' }, 'No stream, and no analysis in the period.'));
    this.#analyzers.replaceChildren(
      ...providers.analyzers.map((analyzer) =>
        h(
          'tr',
          { data: { instance: analyzer.instanceId } },
          h('td', {}, analyzer.instanceId),
          h('td', {}, analyzer.providers.join(', ')),
          h('td', { className: 'num' }, analyzer.concurrency),
          h('td', {}, `${duration(analyzer.lastSeenMsAgo)} ago`),
          h('td', { className: analyzer.live ? 'state-live' : 'state-gone' }, analyzer.live ? 'live' : 'gone'),
        ),
      ),
    );
    if (providers.analyzers.length === 0)
      this.#analyzers.append(
        h('tr', {}, h('td', { className: 'empty', attrs: { colspan: '5' } }, 'no analyzer has ever beaten here')),
      );
  }

  #scoreRow(score: DashboardTargetScore): HTMLTableRowElement {
    const cells = SCORE_COLUMNS.map((column) => column.cell(score));
    return h(
      'tr',
      { data: { target: score.target } },
      h('td', {}, score.target),
      ...cells.map((cell) => h('td', { className: 'num' }, cell)),
    );
  }
}

/** A pair's agreement, worded as `turbostream report` words it. */
export function agreementText(agreement: DashboardAgreement): string {
  const overlap =
    agreement.evidenceOverlap === null
      ? 'no evidence overlap yet'
      : `evidence overlap ${agreement.evidenceOverlap.toFixed(2)} over ${agreement.overlapWindows} windows`;
  return (
    `${agreement.a} vs ${agreement.b}: ${agreement.windows} windows both analysed; both alerted ` +
    `${agreement.bothAlerted}, only ${agreement.a} ${agreement.onlyA}, only ${agreement.b} ${agreement.onlyB}, ` +
    `neither ${agreement.neither}` +
    `${agreement.agreementRate === null ? '' : ` (agree on ${percent(agreement.agreementRate)})`}; ${overlap}`
  );
}
