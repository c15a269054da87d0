/**
 * The compare view: per stream with more than one target, its latest windows side by side — what each target made of
 * each window (its alerts and their worst severity, no alert, failed, 429), a blank where a target did not analyse
 * the window (sampled out, or not yet) — under the agreement figures of `turbostream report` for each pair.
 */
import type { DashboardCompareCell, DashboardProviders } from '../api.js';
import { byId, h } from './dom.js';
import { clockTime } from './format.js';
import { agreementText } from './providers-view.js';

function cellText(cell: DashboardCompareCell | undefined): string {
  if (!cell) return '–';
  if (cell.outcome === 'failed') return 'failed';
  if (cell.outcome === 'rate-limited') return '429, waiting';
  if (cell.alerts === 0) return 'no alert';
  return `${cell.alerts} alert${cell.alerts === 1 ? '' : 's'} (${cell.severity})`;
}

export class CompareView {
  readonly #list = byId('compare-streams');

  render(providers: DashboardProviders): void {
    if (providers.compare.length === 0) {
      this.#list.replaceChildren(
        h(
          'p',
          { className: 'empty' },
          `No stream compares models in the last ${providers.since}: give one \`compare:\` targets in streams.yaml, ` +
            'or switch its targets on its card.',
        ),
      );
      return;
    }
    this.#list.replaceChildren(
      ...providers.compare.map((stream) => {
        const agreement = providers.streams.find((scored) => scored.streamId === stream.streamId)?.agreement ?? [];
        return h(
          'section',
          { className: 'stream-compare', data: { streamId: stream.streamId } },
          h('h3', {}, stream.streamId),
          ...agreement.map((pair) => h('p', { className: 'agreement' }, agreementText(pair))),
          h(
            'table',
            { className: 'compare' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'window'),
                h('th', {}, 'recorded'),
                ...stream.targets.map((target) => h('th', {}, target)),
              ),
            ),
            h(
              'tbody',
              {},
              ...stream.windows.map((window) =>
                h(
                  'tr',
                  { data: { windowId: window.windowId } },
                  h('td', { className: 'time' }, window.windowId),
                  h('td', { className: 'time', title: window.at }, clockTime(window.at)),
                  ...stream.targets.map((target) => {
                    const cell = window.cells.find((candidate) => candidate.target === target);
                    return h(
                      'td',
                      {
                        className: `cell ${cell ? `outcome-${cell.outcome}` : 'outcome-none'}${cell?.severity ? ` sev-text-${cell.severity}` : ''}`,
                        data: { target },
                      },
                      cellText(cell),
                    );
                  }),
                ),
              ),
            ),
          ),
          stream.windows.length === 0 ? h('p', { className: 'empty' }, 'no window in the period') : null,
        );
      }),
    );
  }
}
