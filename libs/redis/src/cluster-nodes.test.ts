import { describe, expect, it } from 'vitest';
import { clusterSeed } from './cluster-nodes.js';

describe('clusterSeed', () => {
  it('reads hosts, ports, credentials and TLS from node URLs', () => {
    expect(clusterSeed(['rediss://user:p%40ss@a.example:6380/0', 'rediss://b.example', 'redis://[::1]:7000'])).toEqual({
      nodes: [
        { host: 'a.example', port: 6380 },
        { host: 'b.example', port: 6379 },
        { host: '::1', port: 7000 },
      ],
      username: 'user',
      password: 'p@ss',
      tls: true,
    });
  });

  it('takes a password without a user, from the first URL that has one', () => {
    expect(clusterSeed(['redis://h1:1', 'redis://:secret@h2:2'])).toMatchObject({
      username: undefined,
      password: 'secret',
      tls: false,
    });
  });

  it('refuses what is not a Redis URL, without echoing it', () => {
    expect(() => clusterSeed(['http://:secret@h:1'])).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => clusterSeed(['not a url :secret'])).toThrow(/not a URL/);
    expect(() => clusterSeed(['not a url :secret'])).not.toThrow(/secret/);
    expect(() => clusterSeed([])).toThrow(/at least one/);
  });
});
