import type { Alert } from '@turbostream/contracts';
import type { RedisClient } from './connection.js';
import type { KeyLayout } from './keys.js';

/**
 * Publishes an alert once per id, atomically: marks the id as seen, appends
 * the alert to the durable log and publishes it on both channels. A retried
 * job that publishes the same alert id again changes nothing.
 *
 * KEYS: seen marker, alert log. ARGV: alert JSON, seen TTL seconds, log max length, channel, stream channel.
 */
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'alert', ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[1])
redis.call('PUBLISH', ARGV[5], ARGV[1])
return 1`;

export interface AlertPublisherOptions {
  redis: RedisClient;
  keys: KeyLayout;
  /**
   * How long an alert id is remembered, so a redelivered job cannot publish it twice.
   * @defaultValue 7 days
   */
  dedupeSeconds?: number;
  /**
   * Approximate number of alerts kept in the durable log.
   * @defaultValue 100000
   */
  logMaxLength?: number;
}

export class AlertPublisher {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #dedupeSeconds: number;
  readonly #logMaxLength: number;

  constructor(options: AlertPublisherOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#dedupeSeconds = options.dedupeSeconds ?? 7 * 24 * 3600;
    this.#logMaxLength = options.logMaxLength ?? 100_000;
  }

  /** Publishes the alert unless its id was published before. True when it was published now. */
  async publish(alert: Alert): Promise<boolean> {
    const json = JSON.stringify(alert);
    const result = await this.#redis.eval(
      PUBLISH_ONCE,
      2,
      this.#keys.alertSeen(alert.id),
      this.#keys.alertLog,
      json,
      String(this.#dedupeSeconds),
      String(this.#logMaxLength),
      this.#keys.alertsChannel,
      this.#keys.alertsChannelOf(alert.streamId),
    );
    return result === 1;
  }
}
