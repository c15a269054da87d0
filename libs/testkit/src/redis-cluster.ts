import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Master nodes; Redis Cluster needs at least 3. @defaultValue 3 */
  masters?: number;
  /** Extra `redis-server` arguments for every node. */
  args?: string[];
  /** Once the cluster is up, every node requires this password (`requirepass`, `masterauth`); the URLs carry it. */
  password?: string;
}

/**
 * A real Redis Cluster on loopback: `masters` `redis-server --cluster-enabled yes`
 * processes on free ports, each with its own data directory, joined by
 * `redis-cli --cluster create` with no replicas. `start()` returns once every
 * node reports `cluster_state:ok` and knows every other node.
 */
export class RedisCluster {
  readonly nodes: readonly RedisServer[];
  readonly password: string | undefined;

  private constructor(nodes: readonly RedisServer[], password: string | undefined) {
    this.nodes = nodes;
    this.password = password;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    if (masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters, not ${masters}`);
    const nodes: RedisServer[] = [];
    try {
      for (let index = 0; index < masters; index += 1) {
        nodes.push(
          await RedisServer.start({
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              'nodes.conf',
              '--cluster-node-timeout',
              '5000',
              ...(options.args ?? []),
            ],
          }),
        );
      }
      const cluster = new RedisCluster(nodes, options.password);
      await cluster.#create();
      if (options.password !== undefined) await cluster.#requirePassword(options.password);
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((node) => node.dispose()));
      throw error;
    }
  }

  /** One `redis://` URL per node (with the password, if any). */
  get urls(): string[] {
    const auth = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    return this.nodes.map((node) => `redis://${auth}127.0.0.1:${node.port}`);
  }

  /** The first node's URL: enough for a cluster client to discover the rest. */
  get seedUrl(): string {
    const first = this.nodes[0];
    if (!first) throw new Error('the cluster has no nodes');
    return first.url;
  }

  /** Every node's URL, comma-separated: a `REDIS_URL` that names this cluster. */
  get url(): string {
    return this.urls.join(',');
  }

  /** A new cluster client (`maxRetriesPerRequest: null`, as BullMQ needs); the caller closes it. */
  client(): Cluster {
    return new Cluster(
      this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      {
        redisOptions: {
          maxRetriesPerRequest: null,
          ...(this.password === undefined ? {} : { password: this.password }),
        },
      },
    );
  }

  /** Stops every node and removes their data directories. */
  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }

  async #create(): Promise<void> {
    const addresses = this.nodes.map((node) => `127.0.0.1:${node.port}`);
    try {
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: 60_000,
      });
    } catch (error) {
      const output = error instanceof Error && 'stdout' in error ? String(error.stdout) : '';
      throw new Error(
        `redis-cli --cluster create failed: ${error instanceof Error ? error.message : String(error)}\n${output}`,
      );
    }
    await waitFor(
      async () => {
        for (const node of this.nodes) if (!(await clusterReady(node.port, this.nodes.length))) return false;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `cluster_state:ok on ${addresses.join(', ')}` },
    );
  }

  async #requirePassword(password: string): Promise<void> {
    for (const node of this.nodes) {
      const admin = node.client();
      try {
        await admin.config('SET', 'masterauth', password);
        await admin.config('SET', 'requirepass', password);
      } finally {
        admin.disconnect();
      }
    }
  }
}

/** True when the node says `cluster_state:ok`, every slot is assigned and it knows all `size` nodes. */
async function clusterReady(port: number, size: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    const info = String(await probe.call('CLUSTER', 'INFO'));
    const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
    return (
      field('cluster_state') === 'ok' &&
      field('cluster_slots_ok') === '16384' &&
      Number(field('cluster_known_nodes')) === size
    );
  } finally {
    probe.disconnect();
  }
}
