/**
 * SIGTERM while Redis does not answer: nothing in flight can be finished or
 * handed back (both need Redis), so each service exits at once, with 0 —
 * not after the shutdown watchdog with 1. What was in flight is recovered when
 * Redis is back (jobs by the stalled check, stream entries by the checkpoint).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { afterAll, describe, expect } from 'vitest';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './support/service-process.js';

describe('SIGTERM while Redis is down (processes)', () => {
  const processes: ServiceProcess[] = [];
  afterAll(async () => {
    for (const each of processes) await each.kill();
  });

  for (const service of ['analyzer', 'windower', 'ingest'] as const) {
    redisTest(
      `${service} exits 0 well before the watchdog`,
      async ({ server }) => {
        assertCliBuilt();
        if (!server.running) await server.restart();
        const env = {
          REDIS_URL: server.url,
          TURBOSTREAM_ENV_FILE: '/dev/null',
          TURBOSTREAM_NAMESPACE: `down-${service}`,
          LOG_FORMAT: 'json',
          SHUTDOWN_TIMEOUT_MS: '20000',
        };
        const cwd = mkdtempSync(join(tmpdir(), 'turbostream-down-'));
        // A source nobody serves: ingest keeps trying it, and the windower owns the stream.
        writeFileSync(
          join(cwd, 'streams.yaml'),
          `streams:\n  - id: quiet\n    source: { url: "ws://127.0.0.1:${await freePort()}/feed" }\n` +
            `    analysis: { provider: heuristic }\n`,
        );
        const started = new ServiceProcess(service, [service], { cwd, env });
        processes.push(started);
        await dumpOutputsOnFailure([started], async () => {
          await waitFor(() => /"msg":"(analyzer|windower|ingest) started"/.test(started.output), {
            timeoutMs: 30_000,
            description: `${service} started`,
          });
          await server.kill();
          await waitFor(() => started.output.includes('redis connection error'), {
            timeoutMs: 20_000,
            description: `${service} noticing Redis is gone`,
          });
          // The watchdog would exit 1 at SHUTDOWN_TIMEOUT_MS + 10 s = 30 s.
          expect(await started.stop(40_000)).toBe(0);
        });
      },
      90_000,
    );
  }
});
