import { compareEntryIds } from '@turbostream/contracts';
import type { Logger } from '@turbostream/logging';
import type { RedisClient } from '@turbostream/redis';
import type { Cluster, Redis } from 'ioredis';

/** `[id, fields]`, as `XREAD` returns each entry. */
export type TailEntry = [string, string[]];

/** What a followed stream is told. */
export interface TailFollower {
  /** New entries, after those it was last told of or the id it follows from; in stream order. */
  onEntries(entries: TailEntry[]): void;
  /**
   * The connection that read the stream was lost (a restart, a failover, a moved slot): Redis may have lost entries,
   * so the stream is no longer followed; follow it again from the position read from Redis.
   */
  onReset(): void;
}

export interface StreamTailOptions {
  /** The windower's connection: duplicated for the blocking reads, and carries `CLIENT UNBLOCK`. */
  redis: RedisClient;
  logger: Logger;
  /**
   * Longest one blocking read waits before it is sent again.
   * @defaultValue 1000
   */
  blockMs?: number;
  /**
   * Entries read per stream per `XREAD`; more follow in the next read.
   * @defaultValue 1000
   */
  count?: number;
  /**
   * Wait before a lost connection is opened again.
   * @defaultValue 500
   */
  retryMs?: number;
}

interface Followed {
  key: string;
  after: string;
  follower: TailFollower;
  group: TailGroup | undefined;
}

/**
 * Follows the end of many Redis streams and tells each of its new entries as
 * they are added: one blocking `XREAD` over all the streams of a connection,
 * so a quiet stream costs nothing while it stays quiet. On a single server one
 * connection reads every stream; on a Redis Cluster, where one command's keys
 * must share a slot, there is one connection per slot (to the master that
 * holds it).
 *
 * What it tells is a hint, never the record: a reader still reads the stream
 * itself before acting on it. When a connection is lost (a restart, a
 * failover, a moved slot) every stream it read is unfollowed and told
 * `onReset()`, and the connection is opened again (on a cluster, to whichever
 * master holds the slot by then).
 */
export class StreamTail {
  readonly #options: Required<Omit<StreamTailOptions, 'logger' | 'redis'>> & { redis: RedisClient; logger: Logger };
  readonly #followed = new Map<string, Followed>();
  readonly #groups = new Map<string, TailGroup>();
  /** Each key's slot, on a cluster (asked of Redis once per key). */
  readonly #slots = new Map<string, Promise<number>>();
  #closed = false;

  constructor(options: StreamTailOptions) {
    this.#options = { blockMs: 1_000, count: 1_000, retryMs: 500, ...options };
  }

  /**
   * Tells `follower` of every entry of `key` after `after` (an entry id), and of those after it from then on. Called
   * again for a stream already followed, moves its position forward (never back) and keeps the first follower.
   */
  follow(key: string, after: string, follower: TailFollower): void {
    if (this.#closed) return;
    const known = this.#followed.get(key);
    if (known) {
      if (compareEntryIds(after, known.after) > 0) known.after = after;
      return;
    }
    const followed: Followed = { key, after, follower, group: undefined };
    this.#followed.set(key, followed);
    this.#slotOf(key).then(
      (slot) => {
        if (this.#followed.get(key) !== followed || this.#closed) return;
        const name = slot === undefined ? 'server' : `slot ${slot}`;
        let group = this.#groups.get(name);
        if (!group) {
          group = new TailGroup(name, this.#options, {
            connect: () => this.#connect(slot),
            lost: (lost) => {
              if (this.#followed.get(lost.key) === lost) this.#followed.delete(lost.key);
            },
          });
          this.#groups.set(name, group);
        }
        followed.group = group;
        group.add(followed);
      },
      (err: unknown) => {
        // Let go and told so, a while later: its reader follows it again after its next read.
        if (this.#followed.get(key) !== followed) return;
        this.#followed.delete(key);
        this.#options.logger.warn({ err, key }, 'could not follow a stream for new entries; trying again');
        setTimeout(() => follower.onReset(), this.#options.retryMs).unref();
      },
    );
  }

  /** Stops telling of `key`'s entries. */
  unfollow(key: string): void {
    const followed = this.#followed.get(key);
    if (!followed) return;
    this.#followed.delete(key);
    followed.group?.remove(followed);
  }

  /** Stops every read and closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#followed.clear();
    await Promise.all([...this.#groups.values()].map((group) => group.close()));
    this.#groups.clear();
  }

  /** The slot of `key` on a cluster, whose streams share a connection; `undefined` on a single server (one for all). */
  #slotOf(key: string): Promise<number | undefined> {
    const redis = this.#options.redis;
    if (!isCluster(redis)) return Promise.resolve(undefined);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = redis.call('CLUSTER', 'KEYSLOT', key).then(Number);
      this.#slots.set(key, slot);
      slot.catch(() => this.#slots.delete(key));
    }
    return slot;
  }

  /**
   * A new blocking connection, and the connection that can unblock it (`CLIENT UNBLOCK` must reach the same server):
   * on a single server, the windower's own; on a cluster, the cluster's connection to the master holding `slot` now.
   */
  async #connect(slot: number | undefined): Promise<TailConnection> {
    const redis = this.#options.redis;
    // The reader never reconnects by itself: its group opens a new one when it is lost, and tells its streams.
    const readerOptions = { retryStrategy: () => null, autoResendUnfulfilledCommands: false, lazyConnect: true };
    let control: Redis | RedisClient = redis;
    let reader: Redis;
    if (!isCluster(redis) || slot === undefined) {
      reader = (redis as Redis).duplicate(readerOptions);
    } else {
      const owner = redis.slots[slot]?.[0];
      const node = redis.nodes('master').find((each) => `${each.options.host}:${each.options.port}` === owner);
      if (!node) throw new Error(`no master is known to hold slot ${slot} yet`);
      control = node;
      reader = node.duplicate(readerOptions);
    }
    reader.on('error', (err: unknown) => this.#options.logger.debug({ err }, 'stream tail connection error'));
    await reader.connect();
    const clientId = Number(await reader.client('ID'));
    return { reader, control, clientId };
  }
}

interface TailConnection {
  reader: Redis;
  control: Redis | RedisClient;
  /** The reader's `CLIENT ID`, for `CLIENT UNBLOCK`. */
  clientId: number;
}

function isCluster(redis: RedisClient): redis is Cluster {
  return 'slots' in redis && Array.isArray(redis.slots);
}

/** The streams read over one blocking connection, and the loop that reads them. */
class TailGroup {
  readonly #name: string;
  readonly #options: Required<Omit<StreamTailOptions, 'logger' | 'redis'>> & { logger: Logger };
  readonly #connect: () => Promise<TailConnection>;
  /** Tells the tail that a stream is no longer followed. */
  readonly #lost: (followed: Followed) => void;
  readonly #members = new Map<string, Followed>();
  #connection: TailConnection | undefined;
  /** True while an `XREAD` is on its way; a stream added meanwhile unblocks it. */
  #reading = false;
  #unblocking = false;
  #closed = false;
  /** Resolves the wait of a loop with nothing to read. */
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;

  constructor(
    name: string,
    options: Required<Omit<StreamTailOptions, 'logger' | 'redis'>> & { logger: Logger },
    hooks: { connect: () => Promise<TailConnection>; lost: (followed: Followed) => void },
  ) {
    this.#name = name;
    this.#options = options;
    this.#connect = hooks.connect;
    this.#lost = hooks.lost;
    this.#loop = this.#run();
  }

  add(followed: Followed): void {
    this.#members.set(followed.key, followed);
    this.#wake?.();
    if (this.#reading) this.#unblock();
  }

  remove(followed: Followed): void {
    if (this.#members.get(followed.key) === followed) this.#members.delete(followed.key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#connection?.reader.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      let connected = false;
      try {
        this.#connection = await this.#connect();
        connected = true;
        if (!this.#closed) await this.#read(this.#connection.reader);
      } catch (err) {
        if (!this.#closed) this.#options.logger.debug({ err, group: this.#name }, 'reading new entries failed');
      } finally {
        this.#connection?.reader.disconnect();
        this.#connection = undefined;
        this.#reading = false;
      }
      if (this.#closed) break;
      // Entries added meanwhile are still read from each stream's position, unless Redis lost some (a restart from an
      // older snapshot, a failover to a lagging replica): ids then go back, and a position read before would skip
      // new entries. Every stream read here is let go, to be followed again from where its reader finds it.
      if (connected)
        for (const followed of [...this.#members.values()]) {
          this.#members.delete(followed.key);
          this.#lost(followed);
          followed.follower.onReset();
        }
      await new Promise((resolve) => setTimeout(resolve, this.#options.retryMs).unref());
    }
  }

  /** Reads until the connection fails or the group closes. */
  async #read(reader: Redis): Promise<void> {
    const { blockMs, count } = this.#options;
    while (!this.#closed) {
      const members = [...this.#members.values()];
      if (members.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      this.#reading = true;
      const reply = (await reader.call(
        'XREAD',
        'COUNT',
        count,
        'BLOCK',
        blockMs,
        'STREAMS',
        ...members.map((member) => member.key),
        ...members.map((member) => member.after),
      )) as [string, TailEntry[]][] | null;
      this.#reading = false;
      for (const [key, entries] of reply ?? []) this.#tell(key, entries);
    }
  }

  #tell(key: string, entries: TailEntry[]): void {
    const followed = this.#members.get(key);
    const last = entries.at(-1);
    if (!followed || !last) return;
    const fresh = entries.filter(([id]) => compareEntryIds(id, followed.after) > 0);
    if (compareEntryIds(last[0], followed.after) > 0) followed.after = last[0];
    if (fresh.length === 0) return;
    try {
      followed.follower.onEntries(fresh);
    } catch (err) {
      this.#options.logger.warn({ err, key }, 'a stream follower failed on new entries');
    }
  }

  /** Ends the `XREAD` on its way (it returns as if it timed out), so the next one reads the streams added since. */
  #unblock(): void {
    const connection = this.#connection;
    if (!connection || this.#unblocking) return;
    this.#unblocking = true;
    connection.control
      .call('CLIENT', 'UNBLOCK', connection.clientId)
      .catch((err: unknown) => this.#options.logger.debug({ err, group: this.#name }, 'could not unblock a tail read'))
      .finally(() => {
        this.#unblocking = false;
      });
  }
}
