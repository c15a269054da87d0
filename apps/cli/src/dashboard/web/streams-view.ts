/** The streams view: one card per stream, as `turbostream streams` shows it, and the latest operational events. */
import { DASHBOARD_LIMITS, type DashboardEvent, type DashboardStream, type DashboardStreams } from '../api.js';
import { byId, h } from './dom.js';
import { clockTime } from './format.js';

export class StreamsView {
  readonly #list = byId('streams-list');
  readonly #events = byId<HTMLOListElement>('events-list');
  #eventCount = 0;

  render(snapshot: DashboardStreams): void {
    if (snapshot.streams.length === 0) {
      this.#list.replaceChildren(
        h(
          'p',
          { className: 'empty' },
          snapshot.noStreamsFile
            ? 'No streams file here: `turbostream up` watches its built-in demo feed. Start the dashboard where ' +
                'streams.yaml is to see your streams.'
            : 'No streams.',
        ),
      );
      return;
    }
    this.#list.replaceChildren(...snapshot.streams.map((stream) => this.#card(stream)));
  }

  #card(stream: DashboardStream): HTMLElement {
    const windower = stream.windower
      ? `${stream.windower.owner}, checkpoint ${stream.windower.checkpoint ?? '(none yet)'}` +
        `${stream.windower.backpressured ? ', paused (a full queue, or a spent budget: see BUDGET)' : ''}, as of ` +
        `${clockTime(stream.windower.updatedAt)}`
      : '(no status: no windower owns this stream right now)';
    return h(
      'article',
      { className: 'card', data: { streamId: stream.id } },
      h('h3', {}, stream.id),
      h('div', { className: 'url' }, stream.url),
      ...stream.alarms.map((alarm) =>
        h('p', { className: 'alarm', data: { kind: alarm.kind } }, h('b', {}, alarm.kind), alarm.text),
      ),
      h(
        'dl',
        { className: 'facts' },
        h('dt', {}, 'targets'),
        h('dd', { className: 'targets' }, stream.targetsText, h('span', { className: 'time' }, ` (${stream.origin})`)),
        h('dt', {}, 'windower'),
        h('dd', { className: 'windower' }, windower),
        stream.budget ? h('dt', {}, 'budget') : null,
        stream.budget ? h('dd', {}, stream.budget) : null,
        ...stream.providers.flatMap((provider) => [
          h('dt', {}, provider.provider),
          h(
            'dd',
            { data: { provider: provider.provider } },
            `${provider.analyzers} live analyzer${provider.analyzers === 1 ? '' : 's'}; jobs waiting ` +
              `${provider.jobs.waiting}, active ${provider.jobs.active}, delayed ${provider.jobs.delayed}, failed ` +
              `${provider.jobs.failed}, completed ${provider.jobs.completed}` +
              `${provider.budget ? `; budget ${provider.budget}` : ''}`,
          ),
        ]),
      ),
    );
  }

  /** Replaces the events with the log's latest (oldest first). */
  setEvents(events: readonly DashboardEvent[]): void {
    this.#events.replaceChildren();
    this.#eventCount = 0;
    for (const event of events) this.addEvent(event);
    if (events.length === 0) this.#events.append(h('li', { className: 'empty' }, 'none yet'));
  }

  addEvent(event: DashboardEvent): void {
    if (this.#eventCount === 0) this.#events.replaceChildren();
    this.#eventCount += 1;
    this.#events.prepend(
      h(
        'li',
        { data: { type: event.type } },
        h('span', { className: 'time', title: event.at }, clockTime(event.at)),
        h('span', { className: 'type' }, event.type),
        event.streamId ? `${event.streamId}: ` : '',
        event.message,
      ),
    );
    while (this.#events.children.length > DASHBOARD_LIMITS.recentEvents) this.#events.lastElementChild?.remove();
  }
}
