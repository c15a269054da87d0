import { closeRedis, connectRedis, createKeyLayout, type RedisClient } from '@turbostream/redis';
import { RedisCluster, waitFor, redisServerOnPath } from '@turbostream/testkit';
import { Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_JOB_OPTIONS, analysisQueueName, queueOptions } from './analysis-queue.js';

/**
 * A local cluster needs redis-server and redis-cli on PATH (`redis-cli --cluster create`); a Docker-only machine skips
 * it, saying so.
 */
const clusterReason = redisServerOnPath()
  ? ''
  : ' (skipped: needs redis-server and redis-cli on PATH to build a local cluster)';

describe.skipIf(clusterReason !== '')(`analysis queues on a Redis Cluster${clusterReason}`, () => {
  let cluster: RedisCluster;
  let connection: RedisClient;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
    connection = connectRedis({ url: cluster.seedUrl, nodes: cluster.urls });
  }, 60_000);
  afterAll(async () => {
    if (connection) await closeRedis(connection);
    await cluster?.dispose();
  });

  it('adds, deduplicates and processes jobs of two providers through a cluster connection', async () => {
    const keys = createKeyLayout(`t${Math.random().toString(36).slice(2, 8)}`);
    const names = [analysisQueueName('openai'), analysisQueueName('anthropic')];
    const queues = names.map(
      (name) => new Queue(name, { connection, ...queueOptions(keys), defaultJobOptions: ANALYSIS_JOB_OPTIONS }),
    );
    const processed: string[] = [];
    const workers = names.map(
      (name) =>
        new Worker(
          name,
          async (job) => {
            processed.push(`${name}/${job.id}`);
            return { ok: true };
          },
          { connection, ...queueOptions(keys), concurrency: 2 },
        ),
    );
    try {
      for (const queue of queues) {
        for (let index = 0; index < 5; index += 1) await queue.add('window', { index }, { jobId: `w-${index}` });
        await queue.add('window', { index: 0 }, { jobId: 'w-0' }); // the same window again: deduplicated
      }
      await waitFor(() => processed.length >= 10, { timeoutMs: 15_000, description: 'ten jobs processed' });
      expect(processed.sort()).toEqual(
        names.flatMap((name) => [0, 1, 2, 3, 4].map((index) => `${name}/w-${index}`)).sort(),
      );
      for (const queue of queues) expect(await queue.getJobCounts('completed')).toEqual({ completed: 5 });
      // Every key BullMQ wrote lives in the slot of the prefix's hash tag.
      const slot = Number(await connection.call('CLUSTER', 'KEYSLOT', keys.queuePrefix));
      const masters = connection instanceof Cluster ? connection.nodes('master') : [];
      const inSlot = await Promise.all(
        masters.map(async (node) => Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)))),
      );
      const everywhere = await Promise.all(masters.map((node) => node.dbsize()));
      expect(inSlot.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(10);
      expect(everywhere.reduce((sum, count) => sum + count, 0)).toBe(inSlot.reduce((sum, count) => sum + count, 0));
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all(queues.map((queue) => queue.close()));
    }
  });
});
