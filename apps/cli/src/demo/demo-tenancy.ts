/**
 * How the built-in demo shares a Redis with others: it runs in its own
 * namespace ({@link demoNamespace}), at most one demo per namespace per Redis
 * ({@link claimDemo}), and nothing it writes outlives a day after it stops
 * ({@link NamespaceExpiry}).
 *
 * Order in `turbostream up`: claim, `expiry.start()`, run the pipeline; on the
 * way out close the pipeline, then `expiry.stop()` (its last pass catches the
 * keys written while shutting down), then `claim.release()`, then close the
 * connection they use.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KeyLayout, RedisClient } from '@turbostream/redis';
import { Cluster, type Redis } from 'ioredis';

/**
 * The demo's namespace on a shared Redis, next to `namespace` (`turbostream` →
 * `turbostream-demo`), so that it never touches a real deployment's keys: `<namespace>-demo`, the namespace shortened
 * so that the whole stays within the 32 characters a namespace may have.
 */
export function demoNamespace(namespace: string): string {
  return `${namespace.slice(0, 32 - '-demo'.length)}-demo`;
}

/** Who holds a demo claim: shown to a second demo that finds it taken. */
export interface DemoHolder {
  host: string;
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  cwd?: string;
}

/** This process, as a {@link DemoHolder}. */
export function thisProcess(): DemoHolder {
  return { host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), cwd: process.cwd() };
}

/** The plain sentence a second demo says when {@link claimDemo} finds the namespace taken. */
export function demoAlreadyRunning(holder: DemoHolder | undefined, keys: KeyLayout): string {
  const where = holder
    ? ` (pid ${holder.pid} on ${holder.host} since ${holder.startedAt}${holder.cwd ? `, in ${holder.cwd}` : ''})`
    : '';
  return `a TurboStream demo is already running on this Redis${where}; its alerts are on ${keys.alertsChannel}`;
}

/** What happened to a held claim, reported through {@link DemoClaimOptions.onEvent}. */
export type DemoClaimEvent =
  /**
   * A renewal failed, or has not been confirmed for a whole lease TTL (Redis unreachable): the claim may have lapsed.
   * Once per outage.
   */
  | { type: 'unconfirmed'; error?: unknown }
  /** Renewals go through again after `unconfirmed` (the lease was still ours, or free and taken back). */
  | { type: 'restored' }
  /** Another demo took the lease after ours lapsed; this claim stops renewing. */
  | { type: 'taken'; holder: DemoHolder | undefined };

export interface DemoClaimOptions {
  /** How long the lease outlives its last renewal. @defaultValue 15000 */
  ttlMs?: number;
  /** @defaultValue 5000 */
  renewEveryMs?: number;
  /** Told when the claim's state changes; must not throw. Renewal problems never throw or reject. */
  onEvent?: (event: DemoClaimEvent) => void;
}

/** The outcome of {@link claimDemo}: the claim, or who holds it (`undefined` when unreadable). */
export type DemoClaimResult = { claimed: true; claim: DemoClaim } | { claimed: false; holder: DemoHolder | undefined };

const RENEW =
  `if redis.call('GET', KEYS[1]) == ARGV[1] then ` + `return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Takes the namespace's demo lease (`keys.demoLease`) if no live demo holds it:
 * `SET NX PX` of the holder's JSON with a random token, renewed by a timer
 * with a compare-and-set, so only this claim renews or releases it. A lease
 * whose holder was a process of this machine that no longer runs is taken over
 * at once, rather than after its TTL.
 */
export function claimDemo(
  redis: RedisClient,
  keys: KeyLayout,
  holder: DemoHolder,
  options: DemoClaimOptions = {},
): Promise<DemoClaimResult> {
  return DemoClaim.take(redis, keys, holder, options);
}

/** A held demo lease, renewed in the background until {@link DemoClaim.release}. Made by {@link claimDemo}. */
export class DemoClaim {
  readonly holder: DemoHolder;
  readonly #redis: RedisClient;
  readonly #key: string;
  readonly #value: string;
  readonly #ttlMs: number;
  readonly #onEvent: (event: DemoClaimEvent) => void;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #confirmedAt = Date.now();
  #unconfirmed = false;
  #released = false;

  private constructor(redis: RedisClient, key: string, holder: DemoHolder, value: string, options: DemoClaimOptions) {
    this.holder = holder;
    this.#redis = redis;
    this.#key = key;
    this.#value = value;
    this.#ttlMs = options.ttlMs ?? 15_000;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** @see claimDemo */
  static async take(
    redis: RedisClient,
    keys: KeyLayout,
    holder: DemoHolder,
    options: DemoClaimOptions = {},
  ): Promise<DemoClaimResult> {
    const value = JSON.stringify({ ...holder, token: randomUUID() });
    const ttlMs = options.ttlMs ?? 15_000;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if ((await redis.set(keys.demoLease, value, 'PX', ttlMs, 'NX')) === 'OK') {
        const claim = new DemoClaim(redis, keys.demoLease, holder, value, options);
        claim.#timer = setInterval(() => claim.#tick(), options.renewEveryMs ?? 5_000).unref();
        return { claimed: true, claim };
      }
      const current = await redis.get(keys.demoLease);
      if (current === null) continue; // the holder's lease expired between the two commands: try again
      const other = parseHolder(current);
      if (!other || !deadOnThisHost(other)) return { claimed: false, holder: other };
      // A demo of this machine that was killed: its lease would hold for up to a TTL more. Take it over.
      await redis.eval(RELEASE, 1, keys.demoLease, current);
    }
    return { claimed: false, holder: undefined };
  }

  /**
   * Stops renewing and deletes the lease if it is still ours, so the next demo
   * can start at once. Waits for Redis as long as the connection does (bound it by the shutdown timeout).
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    await this.#renewing;
    await this.#redis.eval(RELEASE, 1, this.#key, this.#value);
  }

  #tick(): void {
    if (this.#renewing) {
      // a renewal still waits for Redis: once a whole TTL has gone unconfirmed, the lease may have lapsed
      if (Date.now() - this.#confirmedAt >= this.#ttlMs) this.#lapse(undefined);
      return;
    }
    this.#renewing = this.#renew().finally(() => {
      this.#renewing = undefined;
    });
  }

  async #renew(): Promise<void> {
    try {
      if ((await this.#redis.eval(RENEW, 1, this.#key, this.#value, String(this.#ttlMs))) === 1) return this.#confirm();
      // Not ours any more: it lapsed while Redis was unreachable (or lost its data). Take it back if it is free.
      if (this.#released) return;
      if ((await this.#redis.set(this.#key, this.#value, 'PX', this.#ttlMs, 'NX')) === 'OK') return this.#confirm();
      const current = await this.#redis.get(this.#key);
      if (current === null || this.#released) return; // free again: the next tick takes it
      clearInterval(this.#timer);
      this.#onEvent({ type: 'taken', holder: parseHolder(current) });
    } catch (error) {
      if (!this.#released) this.#lapse(error);
    }
  }

  #confirm(): void {
    this.#confirmedAt = Date.now();
    if (!this.#unconfirmed) return;
    this.#unconfirmed = false;
    this.#onEvent({ type: 'restored' });
  }

  #lapse(error: unknown): void {
    if (this.#unconfirmed) return;
    this.#unconfirmed = true;
    this.#onEvent(error === undefined ? { type: 'unconfirmed' } : { type: 'unconfirmed', error });
  }
}

/** True when `holder` is a process of this machine that no longer runs (killed before it could release its lease). */
function deadOnThisHost(holder: DemoHolder): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The holder part of a lease value, or `undefined` when it is not one. */
function parseHolder(text: string): DemoHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { host, pid, startedAt, cwd } = value as Record<string, unknown>;
  if (typeof host !== 'string' || typeof pid !== 'number' || typeof startedAt !== 'string') return undefined;
  return typeof cwd === 'string' ? { host, pid, startedAt, cwd } : { host, pid, startedAt };
}

export interface NamespaceExpiryOptions {
  /** A connection to the Redis (or Redis Cluster) of the namespace; not closed here. */
  redis: RedisClient;
  /** The namespace's layout: its `keyPatterns` say which keys are its own. */
  keys: KeyLayout;
  /** The expiry given to every key of the namespace. @defaultValue one day */
  ttlMs?: number;
  /** Time between passes. @defaultValue 10000 */
  everyMs?: number;
  /** Keys per SCAN page, and so per pipeline. @defaultValue 500 */
  batchSize?: number;
  /** Told when a background pass fails (the next one tries again); must not throw. */
  onError?: (error: unknown) => void;
}

/**
 * KEYS: the key. ARGV: the expiry (ms), the remaining time (ms) above which an
 * expiry is replaced. Gives the key `ARGV[1]` when it has no expiry or one
 * longer than `ARGV[2]`; a key that expires sooner (a lease, a cooldown, a
 * BullMQ lock) keeps its own.
 */
const EXPIRE_KEY = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl > tonumber(ARGV[2]) then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0`;

/**
 * Keeps every key of one namespace expiring: a pass SCANs every key matching
 * the layout's `keyPatterns` (on every master of a cluster) and gives each one
 * that has no expiry, or one longer than half of `ttlMs`, an expiry of `ttlMs`
 * — pipelined, one single-key script per key, so it works on Redis 6.2 and on
 * a cluster. Keys that expire sooner than that keep their own expiry (leases
 * must not outlive their holder by a day); they are gone within half a day anyway.
 *
 * Passes run at `start()` (which also catches what an earlier, killed demo
 * left without an expiry), every `everyMs` (refreshing, so the keys of a demo
 * running for days do not expire under it) and at `stop()`. So nothing of the
 * namespace outlives `ttlMs` after the last pass.
 */
export class NamespaceExpiry {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #ttlMs: number;
  readonly #everyMs: number;
  readonly #batchSize: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #passing: Promise<unknown> | undefined;

  constructor(options: NamespaceExpiryOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.#everyMs = options.everyMs ?? 10_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Runs a first pass (its failure rejects), then one every `everyMs`. Resolves with the keys the first pass gave an
   * expiry.
   */
  async start(): Promise<number> {
    const touched = await this.pass();
    this.#timer ??= setInterval(() => this.#tick(), this.#everyMs).unref();
    return touched;
  }

  /**
   * Stops the timer and runs a last pass, after any pass in flight. Call it
   * once nothing writes to the namespace any more, before the connection
   * closes. Waits for Redis as long as the connection does.
   */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#passing;
    return this.pass();
  }

  /** One pass over every key of the namespace. Resolves with the number of keys given an expiry. */
  async pass(): Promise<number> {
    let touched = 0;
    for (const node of mastersOf(this.#redis)) {
      for (const pattern of this.#keys.keyPatterns) {
        let cursor = '0';
        do {
          const [next, page] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', this.#batchSize);
          cursor = next;
          if (page.length > 0) touched += await this.#expire(node, page);
        } while (cursor !== '0');
      }
    }
    return touched;
  }

  #tick(): void {
    if (this.#passing) return;
    this.#passing = this.pass()
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        this.#passing = undefined;
      });
  }

  async #expire(node: Redis, keys: readonly string[]): Promise<number> {
    const pipeline = node.pipeline();
    for (const key of keys) pipeline.eval(EXPIRE_KEY, 1, key, String(this.#ttlMs), String(Math.floor(this.#ttlMs / 2)));
    let touched = 0;
    for (const [error, result] of (await pipeline.exec()) ?? []) {
      // a slot that moved to another master during the pass is that master's to do
      if (error && !/^(MOVED|ASK) /.test(error.message)) throw error;
      if (result === 1) touched += 1;
    }
    return touched;
  }
}

/** The servers whose keys a SCAN must cover: the one server, or every master of a cluster. */
function mastersOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
