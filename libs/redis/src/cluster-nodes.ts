/** Where a cluster client starts, and what every node connection needs from the URLs. */
export interface ClusterSeed {
  /** The seed nodes; the client discovers the rest from them. */
  nodes: Array<{ host: string; port: number }>;
  /** From the first URL that has them: a node the client discovers gets no URL of its own. */
  username: string | undefined;
  password: string | undefined;
  /** `rediss://`: every node is reached over TLS. */
  tls: boolean;
}

/**
 * Reads the seed nodes of a Redis Cluster from `redis://` / `rediss://` URLs.
 * Credentials and TLS apply to every node, including those the client only
 * discovers later (managed clusters use one password and TLS for all).
 * A database number is ignored: a cluster has only database 0.
 */
export function clusterSeed(urls: readonly string[]): ClusterSeed {
  if (urls.length === 0) throw new Error('a Redis Cluster needs at least one node URL');
  const seed: ClusterSeed = { nodes: [], username: undefined, password: undefined, tls: false };
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('a Redis Cluster node URL is not a URL (expected redis://host:port or rediss://host:port)');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new Error(`a Redis Cluster node URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
    }
    if (parsed.protocol === 'rediss:') seed.tls = true;
    if (seed.password === undefined && (parsed.username || parsed.password)) {
      seed.username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
      seed.password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
    }
    seed.nodes.push({
      host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : 6379,
    });
  }
  return seed;
}
