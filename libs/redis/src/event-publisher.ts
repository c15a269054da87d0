import type { OpsEvent, OpsEventType } from '@turbostream/contracts';
import type { RedisClient } from './connection.js';
import type { KeyLayout } from './keys.js';

export interface EventInput {
  type: OpsEventType;
  message: string;
  streamId?: string;
  details?: Record<string, unknown>;
}

/**
 * Publishes operational events on `turbostream:events` and keeps the last ones
 * in a capped log. Best effort: an event that cannot be published is reported
 * to `onError`, never thrown into the caller's work.
 */
export class EventPublisher {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #service: string;
  readonly #onError: (error: unknown) => void;

  constructor(options: { redis: RedisClient; keys: KeyLayout; service: string; onError?: (error: unknown) => void }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#service = options.service;
    this.#onError = options.onError ?? (() => {});
  }

  async publish(input: EventInput): Promise<void> {
    const event: OpsEvent = { v: 1, service: this.#service, at: new Date().toISOString(), ...input };
    const json = JSON.stringify(event);
    try {
      // One key (the log) and a PUBLISH, which names a channel, not a key: one
      // cluster slot, and a cluster broadcasts the message to every node's subscribers.
      await this.#redis
        .multi()
        .xadd(this.#keys.eventLog, 'MAXLEN', '~', '10000', '*', 'event', json)
        .publish(this.#keys.eventsChannel, json)
        .exec();
    } catch (error) {
      this.#onError(error);
    }
  }
}

/** A started service, on the connections it opened: `disconnect()` closes them once the service is closed. */
export interface RunningService<S> {
  service: S;
  /** The connection its readiness and its shutdown watch. */
  redis: RedisClient;
  keys: KeyLayout;
  disconnect(): Promise<void>;
}
