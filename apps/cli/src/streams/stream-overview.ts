/**
 * What `turbostream streams` shows of each stream, read from Redis: its targets (set while running, else the streams
 * file's), the windower's status (owner, checkpoint, backpressure, and the targets no live analyzer serves: MISSING),
 * what its budget and its providers' budgets have spent and which ran out (BUDGET), and per provider the live
 * analyzers and job counts. One reader for the command and the dashboard, so both say the same.
 */
import type { StreamConfig, TurboConfig } from '@turbostream/config';
import {
  type AnalysisTarget,
  type Budget,
  type BudgetLimit,
  type ProviderId,
  redactUrl,
  StreamStatus,
  type StreamStatus as StreamStatusType,
  type StreamTargetOverride,
  type TargetSamples,
  type UnservedTarget,
} from '@turbostream/contracts';
import type { BudgetLedger, BudgetStatus } from '@turbostream/costs';
import type { AnalysisProducer, JobCounts } from '@turbostream/queue';
import { type KeyLayout, liveAnalyzers, type RedisClient, readTargetOverrides } from '@turbostream/redis';
import { readStreamLag, type StreamLag } from '@turbostream/windower';

/** The source's state as ingest last recorded it in the stream's stats hash. */
export interface SourceState {
  state: 'up' | 'down';
  since: string;
  /** Why it is down ('' when up). */
  reason: string;
}

/** `12 entries, 3.4 s` behind the stream's end (entries `?` on Redis before 7). */
export function describeLag(lag: StreamLag): string {
  return `${lag.entries === undefined ? '?' : lag.entries} entries, ${(lag.ms / 1_000).toFixed(1)} s`;
}

/** `source up since …` or `source DOWN since … (reason)`; undefined when ingest never recorded it. */
export function describeSource(source: SourceState | undefined): string | undefined {
  if (!source) return undefined;
  return source.state === 'up'
    ? `up since ${source.since}`
    : `DOWN since ${source.since}${source.reason ? ` (${source.reason})` : ''}`;
}

async function readSource(redis: RedisClient, keys: KeyLayout, streamId: string): Promise<SourceState | undefined> {
  const [state, since, reason] = await redis.hmget(keys.stats(streamId), 'source', 'sourceSince', 'sourceReason');
  if (state !== 'up' && state !== 'down') return undefined;
  return { state, since: since ?? '', reason: reason ?? '' };
}

/** A budget's limits with what it has spent in the current periods. */
export type BudgetOverview = BudgetStatus & { limits: Budget };

export interface ProviderOverview {
  provider: ProviderId;
  /** Live analyzers serving it (a heartbeat within the TTL). */
  analyzers: number;
  jobs: JobCounts;
  budget: BudgetOverview;
}

/** One stream as `turbostream streams --json` prints it. */
export interface StreamOverview {
  id: string;
  /** The source URL, its password and query masked (contracts' redactUrl). */
  url: string;
  targets: AnalysisTarget[];
  samples?: TargetSamples;
  overridden: boolean;
  override: StreamTargetOverride | undefined;
  /** The windower's status; undefined when no windower owns the stream. */
  status: StreamStatusType | undefined;
  /** How far windowing is behind the stream's end (entries undefined where Redis cannot count them). */
  lag: StreamLag;
  /** The source as ingest last recorded it; undefined before ingest ever connected it. */
  source: SourceState | undefined;
  budget: BudgetOverview;
  providers: ProviderOverview[];
}

/** `$0.42 of $5 today (UTC), 1200 of 40000 tokens this minute` for the limits a budget has ('' for none). */
export function describeBudget(budget: Budget, status: BudgetStatus): string {
  const parts = [];
  if (budget.usdPerDay !== undefined) parts.push(`$${status.usdToday.toFixed(4)} of $${budget.usdPerDay} today (UTC)`);
  if (budget.tokensPerMinute !== undefined)
    parts.push(`${status.tokensThisMinute} of ${budget.tokensPerMinute} tokens this minute`);
  return parts.join(', ');
}

/** What a MISSING line says: the provider no live analyzer serves, since when, what waits and what would serve it. */
export function missingText(unserved: UnservedTarget): string {
  return (
    `no live analyzer serves ${unserved.provider} (model ${unserved.model}) since ${unserved.since}: ` +
    `${unserved.waiting} jobs wait; set ${unserved.variables.join(', ')} on an analyzer`
  );
}

/** What a BUDGET line says of a limit that ran out (`what`: `stream x` or `provider y`). */
export function exhaustedText(what: string, exhausted: { limit: BudgetLimit; resetsAt: number }): string {
  return `${what}: ${exhausted.limit} spent; its windows wait until ${new Date(exhausted.resetsAt).toISOString()}`;
}

/** A MISSING or BUDGET state of a stream, as its line says it. */
export interface StreamAlarm {
  kind: 'MISSING' | 'BUDGET';
  text: string;
}

/** Every MISSING and BUDGET state of a stream, in the order `turbostream streams` prints them. */
export function streamAlarms(row: StreamOverview): StreamAlarm[] {
  return [
    ...(row.status?.unserved ?? []).map((unserved) => ({ kind: 'MISSING' as const, text: missingText(unserved) })),
    ...row.budget.exhausted.map((spent) => ({
      kind: 'BUDGET' as const,
      text: exhaustedText(`stream ${row.id}`, spent),
    })),
    ...row.providers.flatMap(({ provider, budget }) =>
      budget.exhausted.map((spent) => ({
        kind: 'BUDGET' as const,
        text: exhaustedText(`provider ${provider}`, spent),
      })),
    ),
  ];
}

/** The streams of `streams` (the streams file's, or those a running `up` watches) as they stand in Redis. */
export async function readStreamOverview(options: {
  redis: RedisClient;
  keys: KeyLayout;
  streams: readonly StreamConfig[];
  providers: TurboConfig['providers'];
  queues: AnalysisProducer;
  ledger: BudgetLedger;
  now?: () => number;
}): Promise<StreamOverview[]> {
  const { redis, keys, queues, ledger } = options;
  const clock = options.now ?? Date.now;
  const overrides = await readTargetOverrides(redis, keys);
  const rows: StreamOverview[] = [];
  for (const stream of options.streams) {
    const override = overrides.get(stream.id);
    const targets = override?.targets ?? stream.targets;
    const samples = override ? override.samples : stream.samples;
    const statusJson = await redis.get(keys.streamStatus(stream.id));
    let status: StreamStatusType | undefined;
    try {
      const parsed = statusJson ? StreamStatus.safeParse(JSON.parse(statusJson)) : undefined;
      status = parsed?.success ? parsed.data : undefined;
    } catch {
      status = undefined; // not JSON: as if no windower had written it; the next write replaces it
    }
    const now = clock();
    const providers: ProviderOverview[] = [];
    for (const provider of new Set(targets.map((target) => target.provider))) {
      providers.push({
        provider,
        analyzers: (await liveAnalyzers(redis, keys, provider, now)).length,
        jobs: await queues.counts(provider),
        budget: {
          limits: options.providers[provider].budget,
          ...(await ledger.status(`provider:${provider}`, now)),
        },
      });
    }
    rows.push({
      id: stream.id,
      url: redactUrl(stream.source.url),
      targets,
      ...(samples ? { samples } : {}),
      overridden: override !== undefined,
      override,
      status,
      lag: await readStreamLag(redis, keys, stream.id),
      source: await readSource(redis, keys, stream.id),
      budget: { limits: stream.budget ?? {}, ...(await ledger.status(`stream:${stream.id}`, now)) },
      providers,
    });
  }
  return rows;
}
