/**
 * `KeyLayout.keyPatterns` must match every key a namespace uses and no key of
 * another namespace. Checked with Redis's own pattern matching (SCAN MATCH on a
 * real server), over keys derived from every member of the layout, so a key
 * added to the layout without a pattern fails here.
 */
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { createKeyLayout, type KeyLayout } from './keys.js';

/** Keys (and channels) BullMQ writes under a queue prefix, for a queue `analysis-heuristic` with job `1`. */
const BULLMQ_SUFFIXES = [
  'wait',
  'active',
  'paused',
  'meta',
  'id',
  'events',
  'completed',
  'failed',
  'delayed',
  'prioritized',
  'stalled',
  'stalled-check',
  'limiter',
  'marker',
  'pc',
  '1',
  '1:lock',
  '1:logs',
  'de:1',
];

/**
 * One sample key per member of the layout: string members as they are, function
 * members called with a sample argument, and BullMQ keys under `queuePrefix`.
 * A member of another kind makes this throw, so the test has to learn about it.
 */
function sampleKeys(keys: KeyLayout): string[] {
  const samples: string[] = [];
  for (const [name, value] of Object.entries(keys) as [string, unknown][]) {
    if (name === 'namespace' || name === 'keyPatterns') continue;
    if (name === 'queuePrefix')
      samples.push(...BULLMQ_SUFFIXES.map((suffix) => `${String(value)}:analysis-heuristic:${suffix}`));
    else if (typeof value === 'string') samples.push(value);
    else if (typeof value === 'function') samples.push((value as (argument: string) => string)('sample-id_1'));
    else throw new Error(`KeyLayout.${name} is neither a key nor a function of one; teach sampleKeys about it`);
  }
  return samples;
}

async function scanAll(redis: Redis, patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const key of page) found.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found].sort();
}

describe('KeyLayout.keyPatterns', () => {
  // The namespaces are what these tests are about, so they write fixed ones on the file's server (flushed first), not
  // the fixture's.
  redisTest(
    'matches every key of its namespace and nothing else, turbostream and turbostream-demo included',
    async ({ redis }) => {
      const namespaces = [
        'turbostream',
        'turbostream-demo',
        'turbostream_demo',
        'turbostream-demo2',
        'demo',
        't',
        't-1',
      ];
      const layouts = namespaces.map((namespace) => createKeyLayout(namespace));
      const foreign = [
        'bull:analysis-heuristic:1',
        'turbostream',
        'turbostreamx:1',
        '{turbostream',
        '{turbostream}',
        'turbostream-demo',
        'x:turbostream:1',
        'alerts:log',
      ];
      await redis.flushall();
      const writes = redis.pipeline();
      for (const key of [...layouts.flatMap(sampleKeys), ...foreign]) writes.set(key, '1');
      await writes.exec();

      for (const keys of layouts) {
        expect(await scanAll(redis, keys.keyPatterns), keys.namespace).toEqual([...new Set(sampleKeys(keys))].sort());
      }
      // the pairs the issue is about, spelt out
      const [production, demo] = [createKeyLayout('turbostream'), createKeyLayout('turbostream-demo')];
      expect(await scanAll(redis, production.keyPatterns)).not.toContain('{turbostream-demo}:analysis-heuristic:1');
      expect(await scanAll(redis, production.keyPatterns)).toContain('{turbostream}:analysis-heuristic:1');
      expect(await scanAll(redis, demo.keyPatterns)).not.toContain('{turbostream}:analysis-heuristic:1');
      expect(await scanAll(redis, demo.keyPatterns)).toContain(demo.alertSeen('sample-id_1'));
    },
  );

  redisTest('escapes characters that are special in a pattern', async ({ redis }) => {
    await redis.flushall();
    await redis.mset('a*b:x', '1', 'axxb:x', '1', '{a*b}:q:1', '1', '{azzb}:q:1', '1');
    expect(await scanAll(redis, createKeyLayout('a*b').keyPatterns)).toEqual(['a*b:x', '{a*b}:q:1']);
  });
});
