/**
 * The dashboard page: four views (streams, alerts, compare, providers) chosen by the address's hash, fed by one EventSource
 * on /api/events (the browser reconnects by itself; each connection starts with the latest alerts and events).
 */
import type { DashboardServerEvents } from '../api.js';
import { AlertsView } from './alerts-view.js';
import { askBox } from './ask-box.js';
import { CompareView } from './compare-view.js';
import { byId } from './dom.js';
import { ProvidersView } from './providers-view.js';
import { StreamsView } from './streams-view.js';

const VIEWS = ['streams', 'alerts', 'compare', 'providers'] as const;
type View = (typeof VIEWS)[number];

const streams = new StreamsView();
streams.extras = (stream) => askBox(stream.id);
const alerts = new AlertsView();
const providers = new ProvidersView();
const compare = new CompareView();
const connection = byId('connection');
const badge = byId('alerts-badge');
let unseen = 0;

function currentView(): View {
  const name = location.hash.slice(1).split('?')[0] ?? '';
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'streams';
}

function show(): void {
  const view = currentView();
  for (const section of document.querySelectorAll<HTMLElement>('section.view'))
    section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a'))
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  if (view === 'alerts') {
    alerts.readFilter(location.hash);
    unseen = 0;
    badge.hidden = true;
  }
}

alerts.onLive = () => {
  if (currentView() === 'alerts') return;
  unseen += 1;
  badge.textContent = String(unseen);
  badge.hidden = false;
};

window.addEventListener('hashchange', show);
show();

function on<N extends keyof DashboardServerEvents>(
  source: EventSource,
  name: N,
  handle: (data: DashboardServerEvents[N]) => void,
): void {
  source.addEventListener(name, (event) => handle(JSON.parse((event as MessageEvent<string>).data)));
}

function setConnection(state: 'connecting' | 'live' | 'down', text: string): void {
  connection.dataset.state = state;
  connection.textContent = text;
}

const source = new EventSource('/api/events');
on(source, 'hello', (hello) => {
  streams.setChanges(hello.changes);
  alerts.addMany(hello.alerts);
  streams.setEvents(hello.events);
  setConnection('live', `live · ${hello.namespace}`);
  document.documentElement.dataset.ready = 'true';
});
on(source, 'alert', (alert) => alerts.add(alert));
on(source, 'event', (event) => streams.addEvent(event));
on(source, 'streams', (snapshot) => {
  streams.render(snapshot);
  alerts.setStreams(snapshot.streams.map((stream) => stream.id));
});
on(source, 'providers', (figures) => {
  providers.render(figures);
  compare.render(figures);
  streams.setRates(figures.rates, figures.rateMinutes);
});
source.addEventListener('error', () => {
  if (source.readyState === EventSource.CLOSED)
    setConnection('down', 'disconnected: reload the page (with ?token=… if the dashboard has one)');
  else setConnection('connecting', 'reconnecting…');
});
