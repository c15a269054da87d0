import type { StreamConfig, TurboConfig } from '@turbostream/config';
import {
  Alert,
  type AnalysisTarget,
  fieldsToObject,
  formatTarget,
  OpsEvent,
  type WindowJobResult,
} from '@turbostream/contracts';
import type { CorpusFeed, EvalAlert, EvalWindow } from '@turbostream/eval';
import type { Logger } from '@turbostream/logging';
import { listWindowJobs } from '@turbostream/queue';
import { createKeyLayout, type RedisClient } from '@turbostream/redis';
import { startPipeline } from '../runtime/pipeline.js';

/** One analysis of one window by one target, as the job ended. */
export interface EvalCall {
  target: AnalysisTarget;
  feed: string;
  windowId: string;
  /** The job's result; undefined when it failed for good. */
  result: WindowJobResult | undefined;
  failedReason: string | undefined;
}

export interface ReplayOutcome {
  windows: EvalWindow[];
  /** Alerts per target (`provider/model`), their evidence mapped back to corpus message ids. */
  alerts: Map<string, EvalAlert[]>;
  calls: EvalCall[];
}

export interface ReplayProgress {
  /** Jobs finished (completed or failed) and expected (windows cut so far × targets; final once all are cut). */
  done: number;
  expected: number;
  /** True once every feed's messages are windowed, so `expected` is final. */
  allCut: boolean;
}

export interface ReplayOptions {
  /** The configuration whose providers analyse; its namespace must be the replay's own (its keys are written). */
  config: TurboConfig;
  redis: RedisClient;
  feeds: readonly CorpusFeed[];
  targets: readonly AnalysisTarget[];
  logger: Logger;
  onProgress?: (progress: ReplayProgress) => void;
  /** How often progress is read. @defaultValue 250 */
  pollMs?: number;
}

/** A feed as a stream of the streams file: its window limits and instructions, analysed by every target. */
function streamOf(feed: CorpusFeed, targets: readonly AnalysisTarget[]): StreamConfig {
  return {
    id: feed.name,
    // Never connected to: the replay writes the feed's messages into the stream itself, as ingest would.
    source: { url: 'ws://127.0.0.1:9/turbostream-eval', subscribe: [], headers: {}, format: feed.format },
    window: feed.window,
    targets: [...targets],
    instructions: feed.instructions,
  };
}

/**
 * Writes each feed's messages into its Redis stream as ingest does (`kind message data … receivedAt …`), with the
 * entry id `<at>-0` of the message's time, so the windower cuts the same windows on every run. Returns, per feed,
 * the corpus message id of each entry id.
 */
async function writeFeeds(
  redis: RedisClient,
  config: TurboConfig,
  feeds: readonly CorpusFeed[],
): Promise<Map<string, Map<string, string>>> {
  const keys = createKeyLayout(config.namespace);
  const ids = new Map<string, Map<string, string>>();
  for (const feed of feeds) {
    const byEntry = new Map<string, string>();
    for (let offset = 0; offset < feed.messages.length; offset += 500) {
      const pipeline = redis.pipeline();
      for (const message of feed.messages.slice(offset, offset + 500)) {
        const entryId = `${message.at}-0`;
        byEntry.set(entryId, message.id);
        pipeline.xadd(
          keys.messages(feed.name),
          entryId,
          'kind',
          'message',
          'data',
          message.data,
          'receivedAt',
          String(message.at),
        );
      }
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    }
    ids.set(feed.name, byEntry);
  }
  return ids;
}

/**
 * Replays the feeds through the real path on the configuration's (private) namespace: their messages into Redis
 * streams as ingest writes them, then the windower and the analyzer as `turbostream up` runs them — the same
 * windowing, rendering, prompts and providers as live streams. Resolves once every window of every feed has been
 * analysed (or has failed for good) by every target. A spent budget ends it with an error: its windows would wait
 * for the next period.
 */
export async function replayCorpus(options: ReplayOptions): Promise<ReplayOutcome> {
  const { redis, feeds, targets, logger } = options;
  const config: TurboConfig = { ...options.config, streams: feeds.map((feed) => streamOf(feed, targets)) };
  const entryIds = await writeFeeds(redis, config, feeds);
  const lastEntry = new Map(feeds.map((feed) => [feed.name, `${feed.messages.at(-1)?.at ?? 0}-0`]));
  const pipeline = await startPipeline(config, ['windower', 'analyzer'], logger);
  const { keys } = pipeline;
  try {
    const providers = [...new Set(targets.map((target) => target.provider))];
    const read = async () => {
      const jobs = (
        await Promise.all(feeds.map((feed) => listWindowJobs({ redis, keys, streamId: feed.name, providers })))
      ).flat();
      const stats = pipeline.windower?.stats().streams ?? [];
      const allCut = feeds.every((feed) => {
        const stream = stats.find((candidate) => candidate.streamId === feed.name);
        return stream?.checkpoint === lastEntry.get(feed.name) && stream?.open === undefined;
      });
      return { jobs, allCut };
    };
    for (;;) {
      const { jobs, allCut } = await read();
      const done = jobs.filter((job) => job.state === 'completed' || job.state === 'failed').length;
      options.onProgress?.({ done, expected: jobs.length, allCut });
      if (allCut && jobs.length > 0 && done === jobs.length) break;
      await spentBudget(redis, keys.eventLog);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
    // Still: every job finished. Read once more, with results.
    const { jobs } = await read();
    const windows = new Map<string, EvalWindow>();
    for (const { job } of jobs) {
      const byEntry = entryIds.get(job.window.streamId);
      windows.set(`${job.window.streamId}/${job.window.windowId}`, {
        feed: job.window.streamId,
        windowId: job.window.windowId,
        messageIds: job.window.messages.map((message) => byEntry?.get(message.id) ?? message.id),
      });
    }
    const alerts = new Map<string, EvalAlert[]>(targets.map((target) => [formatTarget(target), []]));
    for (const [, fields] of await redis.xrange(keys.alertLog, '-', '+')) {
      const alert = Alert.parse(JSON.parse(fieldsToObject(fields).alert ?? 'null'));
      const byEntry = entryIds.get(alert.streamId);
      alerts.get(formatTarget(alert))?.push({
        feed: alert.streamId,
        windowId: alert.windowId,
        severity: alert.severity,
        title: alert.title,
        evidence: alert.evidence.flatMap((id) => byEntry?.get(id) ?? []),
      });
    }
    const calls = jobs.map(({ job, result, failedReason }) => ({
      target: job.target,
      feed: job.window.streamId,
      windowId: job.window.windowId,
      result,
      failedReason,
    }));
    return { windows: [...windows.values()], alerts, calls };
  } finally {
    await pipeline.close();
  }
}

/** Throws when an analyzer reported a spent budget: the replay cannot finish before the budget rolls over. */
async function spentBudget(redis: RedisClient, eventLog: string): Promise<void> {
  for (const [, fields] of await redis.xrange(eventLog, '-', '+')) {
    const event = OpsEvent.safeParse(JSON.parse(fieldsToObject(fields).event ?? 'null'));
    if (event.success && event.data.type === 'budget.exhausted')
      throw new Error(`the evaluation stopped: ${event.data.message}`);
  }
}
