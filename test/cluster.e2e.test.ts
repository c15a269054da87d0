/**
 * The whole data path as separate OS processes against a local 3-master
 * Redis Cluster (`redis-cli --cluster create`): a loopback WebSocket source,
 * `turbostream ingest`, `turbostream windower` and two `turbostream analyzer`
 * processes with `REDIS_URL` naming every node, analysing with the `openai`
 * provider against a loopback fake. Then SIGKILL one analyzer while it holds jobs.
 */
import { Alert } from '@turbostream/contracts';
import { chatMessages, RedisCluster, redisServerOnPath, waitFor } from '@turbostream/testkit';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineHarness } from './support/pipeline-harness.js';
import { windowOf } from './support/window-answers.js';

const NAMESPACE = 'cluster';
/** Named so that, in namespace `cluster`, each stream hashes to a different master's slot range. */
const STREAMS = ['btc', 'eth', 'delta'];

/**
 * A local cluster needs redis-server and redis-cli on PATH (`redis-cli --cluster create`); a Docker-only machine skips
 * it, saying so.
 */
const clusterReason = redisServerOnPath()
  ? ''
  : ' (skipped: needs redis-server and redis-cli on PATH to build a local cluster)';

describe.skipIf(clusterReason !== '')(`pipeline across processes on a Redis Cluster${clusterReason}`, () => {
  let cluster: RedisCluster;
  let pipeline: PipelineHarness<Cluster>;
  let redis: Cluster;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
    // Every source stream gets the same frames; each stream's messages carry their sequence number.
    pipeline = await PipelineHarness.start({
      redisUrl: cluster.urls.join(','),
      client: () => cluster.client(),
      namespace: NAMESPACE,
      streams: STREAMS,
      subscribe: (id) => `{"op":"subscribe","stream":"${id}"}`,
    });
    redis = pipeline.redis;
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
    await cluster?.dispose();
  });

  it('puts the streams on different masters, each stream in one slot', async () => {
    const nodeOf = async (key: string) => {
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      const owner = (redis.slots[slot] ?? [])[0];
      if (!owner) throw new Error(`no owner of slot ${slot}`);
      return { slot, owner };
    };
    const owners = new Set<string>();
    for (const id of STREAMS) {
      const placed = await Promise.all(
        ['messages', 'stats', 'window', 'lease', 'status'].map((suffix) =>
          nodeOf(`${NAMESPACE}:{${NAMESPACE}:${id}}:${suffix}`),
        ),
      );
      expect(new Set(placed.map(({ slot }) => slot)).size).toBe(1);
      owners.add(placed[0]?.owner ?? '');
    }
    // Hashing decides, not the layout: these three names were picked to land on three masters.
    expect(owners.size).toBe(3);
  });

  it('stores every message in exactly one window, analyses each window once, spreads work over both analyzers ' +
    'and publishes the alerts', async () => {
    await pipeline.dumpOnFailure(async () => {
      await pipeline.sendMessages(300);
      const jobs = await waitFor(pipeline.everyMessageWindowedOnce, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: 'every message in a completed window',
      });

      const windows = jobs.map(({ data }) => data.window);
      for (const window of windows) {
        expect(window.messages.length).toBeGreaterThan(0);
        expect(window.messages.length).toBeLessThanOrEqual(20);
        expect(window.windowId).toBe(window.messages[0]?.id);
      }

      // Each window was asked of the model exactly once (an entry id names a window within its stream).
      const perWindow = new Map<string, number>();
      for (const request of pipeline.llm.requests.filter((candidate) => candidate.path.endsWith('/chat/completions'))) {
        const content = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
        const key = `${/^Stream: (\S+)/m.exec(content)?.[1]}/${windowOf(content)}`;
        perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
      }
      expect([...perWindow.keys()].sort()).toEqual(
        windows.map((window) => `${window.streamId}/${window.windowId}`).sort(),
      );
      expect([...perWindow.values()].every((count) => count === 1)).toBe(true);
      expect(new Set(jobs.map(({ result }) => result.analyzer))).toEqual(new Set(['analyzer-1', 'analyzer-2']));

      // A plain cluster subscriber received one alert per window.
      await waitFor(() => pipeline.alertsSeen.length >= windows.length, {
        timeoutMs: 10_000,
        description: 'alerts on the channel',
      });
      expect(new Set(pipeline.alertsSeen.map((alert) => `${alert.streamId}/${alert.windowId}`))).toEqual(
        new Set(windows.map((window) => `${window.streamId}/${window.windowId}`)),
      );
      expect(
        pipeline.alertsSeen.every(
          (alert) => alert.provider === 'openai' && alert.model === 'gpt-e2e' && alert.evidence[0] === alert.windowId,
        ),
      ).toBe(true);

      // No command was refused for crossing slots, and no best-effort write (events, heartbeats) failed.
      for (const service of pipeline.processes) {
        expect(service.output, service.name).toMatch(/"level":30\b/); // JSON logs, so the filter below sees levels
        const warnings = service.output.split('\n').filter((line) => /"level":(40|50|60)\b/.test(line));
        expect(warnings, service.name).toEqual([]);
      }

      // The windower checkpointed every stream on its own node, and ingest counted what it stored.
      for (const id of STREAMS) {
        expect(Number(await redis.hget(`${NAMESPACE}:{${NAMESPACE}:${id}}:stats`, 'stored'))).toBe(pipeline.sent);
        expect(await redis.hget(`${NAMESPACE}:{${NAMESPACE}:${id}}:window`, 'lastEntryId')).toMatch(/^\d+-\d+$/);
      }
    });
  }, 120_000);

  it('loses nothing and duplicates no alert when an analyzer is SIGKILLed while it holds jobs', async () => {
    await pipeline.dumpOnFailure(async () => {
      const victim = pipeline.service('analyzer-1');
      pipeline.delayMs = 2_500;
      await pipeline.sendMessages(150);
      await pipeline.untilHoldsJob('analyzer-1');
      await victim.kill();
      pipeline.delayMs = 200;

      const jobs = await waitFor(pipeline.everyMessageWindowedOnce, {
        timeoutMs: 90_000,
        intervalMs: 250,
        description: 'every message in a completed window after the kill',
      });
      const windows = jobs.map(({ data }) => `${data.window.streamId}/${data.window.windowId}`);
      expect(new Set(windows).size).toBe(windows.length);
      expect(jobs.some(({ job }) => (job.stalledCounter ?? 0) > 0 || job.attemptsStarted > 1)).toBe(true);

      // The durable log holds exactly one alert per window: none lost, none duplicated.
      const log = await redis.xrange(`${NAMESPACE}:alerts:log`, '-', '+');
      const logged = log.map(([, fields]) => Alert.parse(JSON.parse(fields[1] ?? '')));
      const ids = logged.map((alert) => alert.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(logged.map((alert) => `${alert.streamId}/${alert.windowId}`))).toEqual(new Set(windows));
      expect(jobs.filter(({ result }) => result.analyzer === 'analyzer-2').length).toBeGreaterThan(0);
    });
  }, 150_000);
});
