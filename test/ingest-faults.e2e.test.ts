/**
 * `turbostream ingest` as an OS process against a real redis-server, under
 * the two faults of issue 8:
 *
 * 1. Lost replies: a TCP proxy between ingest and Redis lets append batches
 *    through to Redis but closes the connection instead of forwarding their
 *    reply; ioredis re-sends the unanswered batch after reconnecting. Every
 *    message must still be in the stream exactly once.
 * 2. Restarts: ingest is stopped with SIGTERM, started again, killed with
 *    SIGKILL and started again while the source keeps sending. Each restart
 *    must leave a gap entry between the last entry before and the first
 *    after, and a `source.gap` event.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fieldsToObject, OpsEvent, StreamEntryFields } from '@turbostream/contracts';
import { createKeyLayout } from '@turbostream/redis';
import { type RedisServer, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { cutWindows, parseStreamEntry } from '@turbostream/windower';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect } from 'vitest';
import { FakeSource, SteadyFeed } from './support/fake-source.js';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';
import { type RespCommand, TcpProxy } from './support/tcp-proxy.js';

const STREAM_ID = 'faults';

/** A stream entry with the sequence number of its message (messages carry `{"seq":n}`). */
type Entry = { id: string; raw: string[]; fields: StreamEntryFields; seq: number | undefined };

/** An append batch of ingest: a script call whose first key is a source stream. */
const isAppendBatch = (command: RespCommand): boolean =>
  /^eval(sha)?$/i.test(command[0] ?? '') && (command[3] ?? '').endsWith(':messages');

/**
 * Where the stream breaks its own numbering: a message whose sequence number
 * does not follow the previous message's (a duplicate, a step back, or
 * messages missing) with no gap entry in between.
 */
function unmarkedBreaks(entries: readonly Entry[]): string[] {
  const breaks: string[] = [];
  let previous: number | undefined;
  let gapSince = false;
  for (const entry of entries) {
    if (entry.fields.kind === 'gap') {
      gapSince = true;
      continue;
    }
    const seq = entry.seq ?? -1;
    if (previous !== undefined && seq <= previous)
      breaks.push(`${entry.id}: seq ${seq} after ${previous} (duplicate or out of order)`);
    else if (previous !== undefined && seq !== previous + 1 && !gapSince)
      breaks.push(`${entry.id}: seq ${seq} after ${previous}, ${seq - previous - 1} missing, no gap entry`);
    previous = seq;
    gapSince = false;
  }
  return breaks;
}

describe('ingest under faults, as processes', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let source: FakeSource;
  let cwd: string;
  const processes: ServiceProcess[] = [];

  redisTest.beforeAll(({ server }) => {
    assertCliBuilt();
    redisServer = server;
    redis = redisServer.client();
    cwd = mkdtempSync(join(tmpdir(), 'turbostream-ingest-faults-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((service) => service.stop()));
    await source?.close();
  });

  afterAll(() => {
    redis?.disconnect();
  });

  /** A fresh source, with streams.yaml naming the source, and the keys of the test's namespace. */
  async function setUp(namespace: string): Promise<{ namespace: string; keys: ReturnType<typeof createKeyLayout> }> {
    source = await FakeSource.start();
    writeFileSync(
      join(cwd, 'streams.yaml'),
      `streams:\n  - id: ${STREAM_ID}\n    source: { url: ${source.url} }\n    analysis: { provider: heuristic }\n`,
    );
    return { namespace, keys: createKeyLayout(namespace) };
  }

  function startIngest(name: string, env: Record<string, string>): ServiceProcess {
    const service = new ServiceProcess(name, ['ingest'], {
      cwd,
      env: {
        TURBOSTREAM_ENV_FILE: '/dev/null',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        TURBOSTREAM_INSTANCE_ID: name,
        ...env,
      },
    });
    processes.push(service);
    return service;
  }

  async function readEntries(key: string): Promise<Entry[]> {
    const raw = await redis.xrange(key, '-', '+');
    return raw.map(([id, fields]) => {
      const parsed = StreamEntryFields.parse(fieldsToObject(fields));
      const seq = parsed.kind === 'message' ? (JSON.parse(parsed.data) as { seq: number }).seq : undefined;
      return { id, raw: fields, fields: parsed, seq };
    });
  }

  redisTest(
    'stores every message exactly once when Redis runs append batches whose replies are lost',
    async ({ namespace: fresh }) => {
      const { namespace, keys } = await setUp(fresh);
      const proxy = await TcpProxy.start({ port: redisServer.port });
      try {
        await dumpOutputsOnFailure(processes, async () => {
          const ingest = startIngest('ingest-proxied', {
            REDIS_URL: proxy.url,
            TURBOSTREAM_NAMESPACE: namespace,
            INGEST_BATCH_SIZE: '20',
          });
          await waitFor(() => source.clients === 1, {
            timeoutMs: 20_000,
            description: 'ingest to connect to the source',
          });
          proxy.dropReplies({ matches: isAppendBatch, count: 10, every: 4 });
          const total = 5_000;
          for (let seq = 0; seq < total; seq += 1) {
            await source.send(JSON.stringify({ seq }));
            // Pacing, not a settle: messages keep arriving, over half a second or more, while lost batches are sent
            // again.
            if (seq % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 1));
          }
          await waitFor(() => proxy.dropped >= 10, { timeoutMs: 20_000, description: '10 lost replies' });
          await waitFor(
            async () => new Set((await readEntries(keys.messages(STREAM_ID))).map(({ seq }) => seq)).size >= total,
            {
              timeoutMs: 30_000,
              description: 'every message in the stream',
            },
          );
          // A clean stop writes whatever is still buffered (and any re-sent batch has had its reply by then).
          expect(await ingest.stop()).toBe(0);

          const entries = await readEntries(keys.messages(STREAM_ID));
          const seqs = entries.map(({ seq }) => seq);
          const duplicates = seqs.length - new Set(seqs).size;
          process.stdout.write(
            `lost replies: ${proxy.dropped}, connections: ${proxy.accepted}, entries: ${entries.length}, ` +
              `duplicates: ${duplicates}\n`,
          );
          expect(proxy.dropped).toBeGreaterThanOrEqual(8);
          expect(duplicates).toBe(0);
          expect(seqs).toEqual(Array.from({ length: total }, (_, seq) => seq));
          expect(unmarkedBreaks(entries)).toEqual([]);
          // The counters ran in the same scripts: exact too.
          expect(await redis.hgetall(keys.stats(STREAM_ID))).toMatchObject({
            received: String(total),
            stored: String(total),
          });
          // Redis answered the re-sent batches from its record instead of appending them again…
          const answered = ingest.output.match(/appended already; not appended twice/g)?.length ?? 0;
          expect(answered).toBeGreaterThanOrEqual(1);
          expect(answered).toBeLessThanOrEqual(proxy.dropped);
          // …which is one small hash field per writer, expiring by itself.
          expect(await redis.hlen(keys.appendBatches(STREAM_ID))).toBe(1);
          expect(await redis.pttl(keys.appendBatches(STREAM_ID))).toBeGreaterThan(0);
        });
      } finally {
        await proxy.close();
      }
    },
    90_000,
  );

  redisTest(
    'leaves a gap entry and a source.gap event across every restart of ingest, after SIGTERM and after SIGKILL',
    async ({ namespace: fresh }) => {
      const { namespace, keys } = await setUp(fresh);
      const env = { REDIS_URL: redisServer.url, TURBOSTREAM_NAMESPACE: namespace };
      const streamKey = keys.messages(STREAM_ID);
      const feed = new SteadyFeed(source, 2);
      const messageCount = async () =>
        (await readEntries(streamKey)).filter(({ fields }) => fields.kind === 'message').length;
      /**
       * The stream's last entry once Redis has closed the stopped ingest's connection (so it has run everything that
       * ingest sent).
       */
      const lastEntryId = async () => {
        await waitFor(async () => !String(await redis.client('LIST')).includes('name=turbostream:ingest'), {
          description: 'Redis to drop the stopped ingest',
        });
        return (await redis.xrevrange(streamKey, '+', '-', 'COUNT', 1))[0]?.[0];
      };
      /** Starts ingest and waits until it has stored `more` messages beyond what the stream had. */
      const runUntilStored = async (name: string, more: number) => {
        const before = await messageCount();
        const service = startIngest(name, env);
        await waitFor(async () => (await messageCount()) >= before + more, {
          timeoutMs: 30_000,
          description: `${name} to store ${more} messages`,
        });
        return service;
      };

      await dumpOutputsOnFailure(processes, async () => {
        const first = await runUntilStored('ingest-a', 200);
        expect(await first.stop()).toBe(0);
        const beforeTerm = await lastEntryId();
        const second = await runUntilStored('ingest-b', 200);
        await second.kill();
        const beforeKill = await lastEntryId();
        const third = await runUntilStored('ingest-c', 200);
        await feed.stop();
        expect(await third.stop()).toBe(0);

        const entries = await readEntries(streamKey);
        const gaps = entries.flatMap((entry, index) =>
          entry.fields.kind === 'gap' ? [{ index, entry, fields: entry.fields }] : [],
        );
        const restartGaps = gaps.filter(({ fields }) => fields.reason === 'ingest-restart');
        const missing = restartGaps.map(
          ({ index }) => (entries[index + 1]?.seq ?? 0) - (entries[index - 1]?.seq ?? 0) - 1,
        );
        process.stdout.write(
          `sent: ${feed.sent}, entries: ${entries.length}, restart gaps: ${restartGaps.length}, numbers missing ` +
            `across them: ${missing.join(', ')}\n`,
        );

        // A fresh stream starts with a message: the first start is not a restart.
        expect(entries[0]?.fields.kind).toBe('message');
        expect(gaps.map(({ fields }) => fields.reason)).toEqual(['ingest-restart', 'ingest-restart']);
        // Each gap comes right after the last entry written before the restart, and names it.
        expect(restartGaps.map(({ index }) => entries[index - 1]?.id)).toEqual([beforeTerm, beforeKill]);
        expect(restartGaps.map(({ fields }) => fields.kind === 'gap' && fields.lastEntryId)).toEqual([
          beforeTerm,
          beforeKill,
        ]);
        for (const { index, fields } of restartGaps) {
          expect(entries[index + 1]?.fields.kind).toBe('message');
          expect(fields.kind === 'gap' && fields.downMs).toBeGreaterThan(0);
        }
        expect(unmarkedBreaks(entries)).toEqual([]);

        // The windower sees the gaps: no window holds missing numbers without one.
        const cut = cutWindows({
          streamId: STREAM_ID,
          limits: { maxMessages: 500, maxBytes: 1_000_000, maxSeconds: 60 },
          entries: entries.map(({ id, raw }) => parseStreamEntry(id, raw)),
          now: Number.MAX_SAFE_INTEGER,
        });
        for (const { window } of cut.sealed) {
          const windowSeqs = window.messages.map((message) => (JSON.parse(message.data) as { seq: number }).seq);
          const contiguous = windowSeqs.every((seq, index) => index === 0 || seq === (windowSeqs[index - 1] ?? 0) + 1);
          if (!contiguous)
            expect(
              window.gaps.map((gap) => gap.reason),
              window.windowId,
            ).toContain('ingest-restart');
        }

        const gapEvents = await waitFor(
          async () => {
            const events = (await redis.xrange(keys.eventLog, '-', '+')).map(([, fields]) =>
              OpsEvent.parse(JSON.parse(fieldsToObject(fields).event ?? '{}')),
            );
            const found = events.filter((event) => event.type === 'source.gap' && event.streamId === STREAM_ID);
            return found.length >= 2 && found;
          },
          { description: 'two source.gap events' },
        );
        expect(gapEvents.map((event) => event.details)).toEqual([
          expect.objectContaining({ reason: 'ingest-restart', lastEntryId: beforeTerm }),
          expect.objectContaining({ reason: 'ingest-restart', lastEntryId: beforeKill }),
        ]);
      });
    },
    120_000,
  );
});
