/**
 * What a chaos scenario is, how one runs (fresh pipeline, the scenario's
 * faults while the numbered feed runs, then the checker), and which
 * guarantees its figures must meet.
 */
import type { Feed } from '../support/numbered-source.js';
import type { ChaosCounts } from './checker.js';
import { ChaosPipeline, type PipelineOptions } from './pipeline.js';

/** The steady feed's rate, messages per second. */
export const FEED_RATE = 200;
/** Bounds of any feed, whatever a scenario does. */
const FEED_MAX_MS = 120_000;
/** How long the checker waits, at most, for the pipeline to settle once the feed has stopped. */
const SETTLE_LIMITS = { storedMs: 15_000, analysedMs: 30_000 };
/** Bound on a scenario beyond its run: settling, checks and disposal (services get 10 s to stop). */
export const CHECK_BUDGET_MS = SETTLE_LIMITS.storedMs + SETTLE_LIMITS.analysedMs + 25_000;

/** What a scenario may do and say while it runs. */
export interface ScenarioContext {
  readonly pipeline: ChaosPipeline;
  /** Starts the steady numbered feed; it is stopped before the checker runs, whatever happens. */
  feed(ratePerSecond?: number): Feed;
  /** A line for the table's notes column. */
  note(text: string): void;
  /** A guarantee of this scenario: a violation when `ok` is false. */
  expect(ok: boolean, violation: string): void;
  /** Up to `max` numbers may be lost with no gap entry here, because `why`. */
  allowSilentLoss(max: number, why: string): void;
  /** A subscriber may receive an alert id twice here, because `why`. */
  allowChannelDuplicates(why: string): void;
  /** Runs at the end, before the pipeline is disposed of (proxies, extra clients). */
  onDispose(cleanup: () => Promise<void>): void;
}

/** One fault scenario: its faults, driven against a fresh pipeline, and its own checks. */
export interface Scenario {
  id: string;
  /** The fault, in a few words (listed under the table). */
  fault: string;
  /** Quick enough (under about 20 s) to run in `npm test` too. */
  quick: boolean;
  /** Upper bound on {@link run}; past it the scenario counts as broken, and the checker runs on what there is. */
  runMs: number;
  options?: PipelineOptions;
  /** Starts the services and the feed, and drives the fault; the feed is stopped once it returns. */
  run(context: ScenarioContext): Promise<void>;
  /** Checks of this scenario on the settled figures (beyond the guarantees every scenario is held to). */
  verify?(counts: ChaosCounts, context: ScenarioContext): void;
}

/** What the checker found after one scenario, and whether the guarantees held. */
export interface ScenarioResult {
  id: string;
  fault: string;
  counts: ChaosCounts;
  /** Alert ids a subscriber of the alerts channel received twice. */
  channelDuplicates: number;
  notes: string[];
  /** What the figures show beyond the guarantees, and why the scenario allows it. */
  allowed: string[];
  /** Guarantees broken; empty when the scenario passed. */
  violations: string[];
  seconds: number;
}

/** What the figures may show beyond the guarantees, and why. */
export interface Allowances {
  silentLoss?: { max: number; why: string };
  channelDuplicates?: string;
}

/** The guarantees every scenario is held to, except where it says why not. */
export function guaranteeViolations(counts: ChaosCounts, channelDuplicates: number, allow: Allowances): string[] {
  const violations: string[] = [];
  const fail = (broken: boolean, text: string) => {
    if (broken) violations.push(text);
  };
  fail(counts.sent === 0, 'nothing was sent');
  fail(
    counts.lostSilent > (allow.silentLoss?.max ?? 0),
    `${counts.lostSilent} numbers lost with no gap ` +
      `entry${allow.silentLoss ? ` (at most ${allow.silentLoss.max} allowed)` : ''}`,
  );
  fail(counts.duplicated > 0, `${counts.duplicated} numbers stored twice`);
  fail(counts.windowedNone > 0, `${counts.windowedNone} stored messages in no completed window`);
  fail(counts.windowedTwice > 0, `${counts.windowedTwice} stored messages in two or more completed windows`);
  fail(counts.foreign > 0, `${counts.foreign} windowed messages the stream does not hold`);
  fail(
    counts.analysed < counts.windows,
    `${counts.windows - counts.analysed} of ${counts.windows} windows not analysed by every target`,
  );
  fail(counts.failedJobs > 0, `${counts.failedJobs} failed jobs`);
  fail(counts.pendingJobs > 0, `${counts.pendingJobs} jobs still pending`);
  fail(counts.alerts === 0, 'no alert at all');
  fail(counts.duplicateAlerts > 0, `${counts.duplicateAlerts} alert ids twice in the log`);
  fail(counts.alertsMissing > 0, `${counts.alertsMissing} alerts of completed jobs missing from the log`);
  fail(
    channelDuplicates > 0 && allow.channelDuplicates === undefined,
    `${channelDuplicates} alert ids received twice on the channel`,
  );
  return violations;
}

/** A scenario's context, and what the scenario recorded through it. */
interface Run {
  context: ScenarioContext;
  feeds: Feed[];
  cleanups: (() => Promise<void>)[];
  notes: string[];
  violations: string[];
  allow: Allowances;
}

function createRun(pipeline: ChaosPipeline): Run {
  const run: Omit<Run, 'context'> = { feeds: [], cleanups: [], notes: [], violations: [], allow: {} };
  const context: ScenarioContext = {
    pipeline,
    feed: (ratePerSecond = FEED_RATE) => {
      const feed = pipeline.source.startFeed({
        ratePerSecond,
        maxMessages: (ratePerSecond * FEED_MAX_MS) / 1000,
        maxMs: FEED_MAX_MS,
      });
      run.feeds.push(feed);
      return feed;
    },
    note: (text) => run.notes.push(text),
    expect: (ok, violation) => {
      if (!ok) run.violations.push(violation);
    },
    allowSilentLoss: (max, why) => {
      run.allow.silentLoss = { max, why };
    },
    allowChannelDuplicates: (why) => {
      run.allow.channelDuplicates = why;
    },
    onDispose: (cleanup) => run.cleanups.push(cleanup),
  };
  return { ...run, context };
}

/**
 * Stops the feeds and brings Redis back if the scenario broke off without it, then lets the pipeline settle and counts.
 */
async function settleAndCount(pipeline: ChaosPipeline, feeds: readonly Feed[]): Promise<ChaosCounts> {
  await Promise.all(feeds.map((feed) => feed.stop()));
  if (!pipeline.redisServer.running) await pipeline.redisServer.restart();
  return withDeadline(pipeline.settle(SETTLE_LIMITS), SETTLE_LIMITS.storedMs + SETTLE_LIMITS.analysedMs + 10_000);
}

/** Runs one scenario on a fresh pipeline and checks it; the pipeline is disposed of whatever happens. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const started = performance.now();
  const pipeline = await ChaosPipeline.create(scenario.options);
  const { context, feeds, cleanups, notes, violations, allow } = createRun(pipeline);
  try {
    await withDeadline(scenario.run(context), scenario.runMs).catch((error: unknown) => {
      violations.push(`the scenario did not run to its end: ${error instanceof Error ? error.message : String(error)}`);
    });
    const counts = await settleAndCount(pipeline, feeds);
    scenario.verify?.(counts, context);
    const channelDuplicates = pipeline.channelDuplicates();
    violations.push(...guaranteeViolations(counts, channelDuplicates, allow));
    const allowed = [
      ...(allow.silentLoss && counts.lostSilent > 0 ? [`silent loss: ${allow.silentLoss.why}`] : []),
      ...(allow.channelDuplicates && channelDuplicates > 0
        ? [`alerts twice on the channel: ${allow.channelDuplicates}`]
        : []),
    ];
    if (violations.length > 0) dumpOutputs(pipeline);
    return {
      id: scenario.id,
      fault: scenario.fault,
      counts,
      channelDuplicates,
      notes,
      allowed,
      violations,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await pipeline.dispose();
  }
}

/**
 * `work`'s value, or a rejection once `ms` have passed (`work` is left to fail on its own as the pipeline goes away).
 */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms / 1000} s`)), ms);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The tail of every service's output, for diagnosing a broken guarantee. */
function dumpOutputs(pipeline: ChaosPipeline): void {
  for (const service of pipeline.services)
    process.stderr.write(`\n----- ${service.name} -----\n${service.output.slice(-4000)}\n`);
}
