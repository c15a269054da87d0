/**
 * The live side of the dashboard: one Redis subscriber to `<namespace>:alerts` and `<namespace>:events`, whose
 * messages go out at once to every open page as server-sent events; and, while a page is open, the streams (every
 * `refreshMs`, and soon after an operational event) and the providers' figures (when the analysis log grew, or 5 s went
 * by: analyzers' heartbeats age) sent whenever they changed. A page gets the latest alerts and events of the durable logs first
 * (`hello`); it merges them with live ones by id. Pages never poll.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '@turbostream/logging';
import { closeRedis, type RedisClient } from '@turbostream/redis';
import type { DashboardServerEvents } from './api.js';
import { type DashboardSource, dashboardAlert, dashboardEvent, type SecretScrubber } from './data.js';

export interface DashboardHubOptions {
  source: DashboardSource;
  /** A connection of its own, put in subscriber mode (the hub closes it). */
  subscriber: RedisClient;
  scrubber: SecretScrubber;
  logger: Logger;
  /** @defaultValue 2000 */
  refreshMs?: number;
  /** A comment line keeps idle connections open through proxies. @defaultValue 15000 */
  keepAliveMs?: number;
  /** Whether pages may make changes, told them in `hello`. @defaultValue disabled, without a reason */
  changes?: { enabled: boolean; reason: string };
}

type EventName = keyof DashboardServerEvents;

export class DashboardHub {
  readonly #options: DashboardHubOptions;
  readonly #clients = new Set<ServerResponse>();
  /** The last frame sent of each snapshot, for pages that connect later, and what it was made of. */
  readonly #last = new Map<'streams' | 'providers', string>();
  readonly #keys = new Map<'streams' | 'providers', string>();
  #analysesVersion: string | undefined;
  #providersAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #closed = false;

  constructor(options: DashboardHubOptions) {
    this.#options = options;
  }

  /** Subscribes to the channels. */
  async start(): Promise<void> {
    const { subscriber, source, logger } = this.#options;
    const { alertsChannel, eventsChannel } = source.keys;
    subscriber.on('error', (err) => logger.warn({ err }, 'dashboard: redis subscriber error'));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === alertsChannel) {
        const alert = dashboardAlert(message);
        if (alert) this.#broadcast('alert', alert);
      } else if (channel === eventsChannel) {
        const event = dashboardEvent(message);
        if (event) {
          this.#broadcast('event', event);
          this.#refreshSoon();
        }
      }
    });
    await subscriber.subscribe(alertsChannel, eventsChannel);
    this.#keepAlive = setInterval(() => {
      for (const client of this.#clients) client.write(': keep-alive\n\n');
    }, this.#options.keepAliveMs ?? 15_000);
    this.#keepAlive.unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes an open `text/event-stream` response: sends `hello` and the current state, then everything live. */
  async add(response: ServerResponse): Promise<void> {
    const { source } = this.#options;
    this.#clients.add(response);
    response.once('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopRefreshing();
    });
    const [alerts, events] = await Promise.all([source.recentAlerts(), source.recentEvents()]);
    const changes = this.#options.changes ?? { enabled: false, reason: '' };
    this.#send(response, 'hello', { namespace: source.keys.namespace, changes, alerts, events });
    for (const name of ['streams', 'providers'] as const) {
      const last = this.#last.get(name);
      if (last !== undefined && this.#timer !== undefined) response.write(last);
    }
    if (this.#timer === undefined) {
      this.#last.clear();
      this.#keys.clear();
      this.#analysesVersion = undefined;
      this.#timer = setInterval(() => this.#refresh(), this.#options.refreshMs ?? 2_000);
      this.#timer.unref();
    }
    await this.#refresh();
  }

  #stopRefreshing(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the streams again soon (a change was made) and sends them if they changed. */
  refreshSoon(): void {
    this.#refreshSoon();
  }

  #refreshSoon(): void {
    if (this.#soon !== undefined || this.#clients.size === 0) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.#refresh();
    }, 200);
    this.#soon.unref();
  }

  /** Reads the streams, and the providers when the analysis log grew or 5 s went by; sends what changed. */
  #refresh(): Promise<void> {
    this.#refreshing ??= this.#readAndSend().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #readAndSend(): Promise<void> {
    const { source, logger } = this.#options;
    if (this.#closed || this.#clients.size === 0) return;
    try {
      const streams = await source.streams();
      const { at: _at, ...comparable } = streams;
      this.#sendIfChanged('streams', streams, JSON.stringify(comparable));
      const version = await source.analysesVersion();
      if (version !== this.#analysesVersion || Date.now() - this.#providersAt >= 5_000) {
        this.#analysesVersion = version;
        this.#providersAt = Date.now();
        const providers = await source.providers();
        // The period's bounds move every time: what counts is the figures.
        const { from: _from, to: _to, ...figures } = providers;
        this.#sendIfChanged('providers', providers, JSON.stringify(figures));
      }
    } catch (error) {
      logger.warn({ err: error }, 'dashboard: cannot read the streams or the providers');
    }
  }

  #sendIfChanged<N extends 'streams' | 'providers'>(name: N, data: DashboardServerEvents[N], key: string): void {
    if (this.#keys.get(name) === key) return;
    this.#keys.set(name, key);
    const frame = this.#frame(name, data);
    this.#last.set(name, frame);
    for (const client of this.#clients) client.write(frame);
  }

  #frame<N extends EventName>(name: N, data: DashboardServerEvents[N]): string {
    const json = this.#options.scrubber.scrub(JSON.stringify(data));
    return `event: ${name}\ndata: ${json}\n\n`;
  }

  #send<N extends EventName>(client: ServerResponse, name: N, data: DashboardServerEvents[N]): void {
    client.write(this.#frame(name, data));
  }

  #broadcast<N extends EventName>(name: N, data: DashboardServerEvents[N]): void {
    if (this.#clients.size === 0) return;
    const frame = this.#frame(name, data);
    for (const client of this.#clients) client.write(frame);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopRefreshing();
    clearInterval(this.#keepAlive);
    clearTimeout(this.#soon);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    await this.#refreshing?.catch(() => {});
    await closeRedis(this.#options.subscriber).catch(() => {});
  }
}
