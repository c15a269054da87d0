/**
 * The streams view: one card per stream, as `turbostream streams` shows it, each with a form that switches the
 * stream's targets as `turbostream streams set` does (when the dashboard has a token); and the latest operational
 * events. A card is made once per stream and its facts replaced on each snapshot, so that what is typed in its form
 * stays.
 */
import {
  DASHBOARD_LIMITS,
  type DashboardEvent,
  type DashboardSetTargetsReply,
  type DashboardSetTargetsRequest,
  type DashboardStream,
  type DashboardStreams,
} from '../api.js';
import { byId, h } from './dom.js';
import { clockTime, compareText, parseCompare } from './format.js';
import { postChange } from './post.js';
import { sparkline } from './sparkline.js';

interface Card {
  article: HTMLElement;
  facts: HTMLElement;
  rate: HTMLElement;
}

export class StreamsView {
  readonly #list = byId('streams-list');
  readonly #events = byId<HTMLOListElement>('events-list');
  readonly #cards = new Map<string, Card>();
  #changes = { enabled: false, reason: 'waiting for the server…' };
  #rates: { rates: Record<string, number[]>; minutes: number } = { rates: {}, minutes: 30 };
  #eventCount = 0;
  /** Extra parts of a card (the ask box), made once per stream. */
  extras: (stream: DashboardStream) => HTMLElement | null = () => null;

  /** Each stream's messages per minute (from the providers' figures), drawn as a sparkline on its card. */
  setRates(rates: Record<string, number[]>, minutes: number): void {
    this.#rates = { rates, minutes };
    for (const [id, card] of this.#cards) this.#showRate(id, card);
  }

  #showRate(id: string, card: Card): void {
    const values = this.#rates.rates[id] ?? new Array<number>(this.#rates.minutes).fill(0);
    const last = values.at(-1) ?? 0;
    const total = values.reduce((sum, value) => sum + value, 0);
    const label =
      `messages per minute over the last ${this.#rates.minutes} min (windows analysed): ${total} in all, ` +
      `${last} in the last minute`;
    card.rate.replaceChildren(
      sparkline(values, label),
      h('span', { className: 'time' }, `${Math.round(total / this.#rates.minutes)}/min avg, ${last} last min`),
    );
    card.rate.dataset.total = String(total);
  }

  /** Whether the page may make changes (from `hello`), and why not. */
  setChanges(changes: { enabled: boolean; reason: string }): void {
    this.#changes = changes;
    for (const card of this.#cards.values()) this.#showChanges(card);
  }

  /** Each form of the card that makes a change (`fieldset.change`), and what says why it is disabled. */
  #showChanges(card: Card): void {
    const { enabled, reason } = this.#changes;
    for (const fieldset of card.article.querySelectorAll<HTMLFieldSetElement>('fieldset.change'))
      fieldset.disabled = !enabled || fieldset.dataset.busy === 'true';
    for (const note of card.article.querySelectorAll<HTMLElement>('p.change-disabled')) {
      note.hidden = enabled;
      note.textContent = enabled ? '' : `${note.dataset.what ?? 'This'} is disabled: ${reason}`;
    }
  }

  render(snapshot: DashboardStreams): void {
    if (snapshot.streams.length === 0) {
      this.#cards.clear();
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
    const ids = new Set(snapshot.streams.map((stream) => stream.id));
    for (const [id, card] of this.#cards) {
      if (ids.has(id)) continue;
      this.#cards.delete(id);
      card.article.remove();
    }
    // The "waiting" or "no streams" text.
    for (const child of [...this.#list.children])
      if (!(child instanceof HTMLElement && child.dataset.streamId)) child.remove();
    let previous: Element | null = null;
    for (const stream of snapshot.streams) {
      let card = this.#cards.get(stream.id);
      if (!card) {
        card = this.#newCard(stream);
        this.#cards.set(stream.id, card);
      }
      card.facts.replaceChildren(...this.#facts(stream));
      // In the snapshot's order, moving only what is out of place (a moved element loses its focus).
      const expected: Element | null = previous ? previous.nextElementSibling : this.#list.firstElementChild;
      if (expected !== card.article) this.#list.insertBefore(card.article, expected);
      previous = card.article;
    }
  }

  #newCard(stream: DashboardStream): Card {
    const facts = h('div', { className: 'facts-part' });
    const rate = h('div', { className: 'rate' });
    const [own, ...compared] = stream.targets;
    const input = (name: string, value: string, placeholder: string) =>
      h('input', { attrs: { name, value, placeholder, autocomplete: 'off', spellcheck: 'false' } });
    const provider = input('provider', own?.provider ?? '', 'provider (openai, anthropic, …)');
    const model = input('model', own?.model ?? '', 'model (else the provider’s default)');
    const compare = input('compare', compareText(compared), 'P/M@0.1, P/M (empty: none)');
    const result = h('p', { className: 'switch-result', attrs: { role: 'status', 'aria-live': 'polite' } });
    const submit = h('button', { attrs: { type: 'submit' } }, 'Switch');
    const reset = h('button', { attrs: { type: 'button', name: 'reset' } }, 'Back to the streams file');
    const fieldset = h(
      'fieldset',
      { className: 'change' },
      h('legend', {}, 'Switch targets (from the next window on)'),
      h('label', {}, 'provider ', provider),
      h('label', {}, 'model ', model),
      h('label', { className: 'wide' }, 'compare ', compare),
      submit,
      reset,
    );
    const disabled = h('p', { className: 'change-disabled', data: { what: 'Switching' } });
    const form = h(
      'form',
      { className: 'change-form switch', data: { streamId: stream.id } },
      fieldset,
      disabled,
      result,
    );
    const send = async (body: DashboardSetTargetsRequest) => {
      fieldset.disabled = true;
      fieldset.dataset.busy = 'true';
      result.dataset.state = 'busy';
      result.textContent = 'switching…';
      const reply = await postChange<DashboardSetTargetsReply>('/api/streams/targets', body);
      fieldset.dataset.busy = 'false';
      fieldset.disabled = !this.#changes.enabled;
      if (reply.ok) {
        result.dataset.state = 'ok';
        result.replaceChildren(
          reply.value.message,
          ...reply.value.warnings.map((warning) => h('span', { className: 'warning' }, `warning: ${warning}`)),
        );
      } else {
        result.dataset.state = 'error';
        result.textContent = reply.error;
      }
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const targets = parseCompare(compare.value);
      void send({
        stream: stream.id,
        provider: provider.value.trim(),
        model: model.value.trim(),
        compare: targets,
        noCompare: targets.length === 0,
      });
    });
    reset.addEventListener('click', () => void send({ stream: stream.id, reset: true }));
    const article = h(
      'article',
      { className: 'card', data: { streamId: stream.id } },
      h('h3', {}, stream.id),
      rate,
      facts,
      form,
      this.extras(stream),
    );
    const card = { article, facts, rate };
    this.#showChanges(card);
    this.#showRate(stream.id, card);
    return card;
  }

  #facts(stream: DashboardStream): HTMLElement[] {
    const windower = stream.windower
      ? `${stream.windower.owner}, checkpoint ${stream.windower.checkpoint ?? '(none yet)'}` +
        `${stream.windower.backpressured ? ', paused (a full queue, or a spent budget: see BUDGET)' : ''}, as of ` +
        `${clockTime(stream.windower.updatedAt)}`
      : '(no status: no windower owns this stream right now)';
    return [
      h('div', { className: 'url' }, stream.url),
      ...stream.alarms.map((alarm) =>
        h('p', { className: 'alarm', data: { kind: alarm.kind } }, h('b', {}, alarm.kind), alarm.text),
      ),
      h(
        'dl',
        { className: 'facts' },
        h('dt', {}, 'targets'),
        h('dd', { className: 'targets' }, stream.targetsText, h('span', { className: 'time' }, ` (${stream.origin})`)),
        h('dt', {}, 'source'),
        h('dd', { className: 'source' }, stream.source ?? '(not recorded: ingest has not connected it yet)'),
        h('dt', {}, 'windower'),
        h('dd', { className: 'windower' }, windower),
        h('dt', {}, 'lag'),
        h('dd', { className: 'lag' }, stream.lag),
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
    ];
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
