import type { AnalysisRecord } from '@turbostream/contracts';
import { redisTest } from '@turbostream/testkit/redis-test';
import { describe, expect } from 'vitest';
import { AnalysisLog, readAnalysisLog } from './analysis-log.js';
import { createKeyLayout } from './keys.js';

function completed(jobId: string): AnalysisRecord {
  return {
    v: 1,
    outcome: 'completed',
    jobId,
    streamId: 's',
    windowId: '1-0',
    provider: 'heuristic',
    model: 'mad',
    messages: 3,
    analyzer: 'a1',
    ttftMs: 1,
    totalMs: 2,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: null,
    alerts: [{ severity: 'warning', evidence: ['1-0'] }],
  };
}

describe('AnalysisLog', () => {
  redisTest(
    'appends records and reads back those written from a time on, page after page',
    async ({ redis, namespace }) => {
      const keys = createKeyLayout(namespace);
      const log = new AnalysisLog({ redis, keys });
      await redis.xadd(keys.analyses, '1000-0', 'record', JSON.stringify(completed('old')));
      for (const id of ['j1', 'j2', 'j3', 'j4', 'j5']) await log.append(completed(id));
      await redis.xadd(keys.analyses, '*', 'record', '{"v":2,"outcome":"completed"}');
      await redis.xadd(keys.analyses, '*', 'record', 'not json');

      const read = await readAnalysisLog(redis, keys, { from: 2_000, pageSize: 2 });
      expect(read.analyses.map(({ record }) => record.jobId)).toEqual(['j1', 'j2', 'j3', 'j4', 'j5']);
      expect(read.analyses[0]?.at).toBeGreaterThan(Date.now() - 60_000);
      expect(read.unreadable).toBe(2);
      expect(read.oldestHeld).toBe(1000);
      expect(read.length).toBe(8);
      expect((await readAnalysisLog(redis, keys, { from: 0 })).analyses).toHaveLength(6);
    },
  );

  redisTest('caps the log at about its length', async ({ redis, namespace }) => {
    const keys = createKeyLayout(namespace);
    const log = new AnalysisLog({ redis, keys, maxLength: 10 });
    for (let index = 0; index < 500; index += 1) await log.append(completed(`j${index}`));
    expect(await redis.xlen(keys.analyses)).toBeLessThan(250);
  });

  redisTest('reports a record it cannot write instead of throwing', async ({ redis, namespace }) => {
    const keys = createKeyLayout(namespace);
    const errors: unknown[] = [];
    await redis.set(keys.analyses, 'a string');
    const log = new AnalysisLog({ redis, keys, onError: (error) => errors.push(error) });
    await expect(log.append(completed('j1'))).resolves.toBeUndefined();
    await expect(log.append({ ...completed('j2'), messages: -1 })).resolves.toBeUndefined();
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toContain('WRONGTYPE');
  });
});
