/**
 * What the dashboard shows, read from Redis and turned into its page's JSON (api.ts): the streams as `turbostream
 * streams` reads them, the providers' figures as `turbostream report` computes them, the latest alerts and events of
 * the durable logs, and the messages an alert cites. Only display data leaves here: no configuration, and the
 * {@link SecretScrubber} takes out any configured secret that would still be in a text.
 */
import type { StreamConfig, TurboConfig } from '@turbostream/config';
import {
  Alert,
  fieldsToObject,
  formatTargets,
  OpsEvent,
  redactUrlCredentials,
  StreamEntryFields,
  sampleOf,
} from '@turbostream/contracts';
import { BudgetLedger, type PriceBook } from '@turbostream/costs';
import { AnalysisProducer } from '@turbostream/queue';
import { ANALYZER_TTL_MS, type KeyLayout, listAnalyzers, type RedisClient } from '@turbostream/redis';
import { type AskEvent, askStream } from '../ask/ask-stream.js';
import { buildReportWithRecords } from '../report/build-report.js';
import { type SetTargetsRequest, type SetTargetsResult, setStreamTargetsIn } from '../streams/set-targets.js';
import {
  describeBudget,
  describeLag,
  describeSource,
  readStreamOverview,
  type StreamOverview,
  streamAlarms,
} from '../streams/stream-overview.js';
import {
  DASHBOARD_LIMITS,
  type DashboardAlert,
  type DashboardEvent,
  type DashboardEvidence,
  type DashboardProviders,
  type DashboardStream,
  type DashboardStreams,
} from './api.js';
import { compareWindows, messageRates } from './compare.js';

/** The sparklines' span: minutes of messages per minute. */
const RATE_MINUTES = 30;

/** A stream id as the streams file allows it. */
export const STREAM_ID = /^[a-z0-9_-]{1,64}$/;
/** A Redis stream entry id. */
export const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Takes every configured secret out of a text about to reach the browser: the provider keys, the Redis passwords, the
 * dashboard's token, and the credentials, query values and header values of the sources. A safety net: nothing the
 * dashboard sends is meant to hold one.
 */
export class SecretScrubber {
  readonly #secrets: string[];

  constructor(secrets: Iterable<string | undefined>) {
    const unique = new Set<string>();
    for (const secret of secrets) {
      if (secret === undefined || secret.length < 6) continue;
      unique.add(secret);
      // As JSON writes it, and as a URL carries it.
      unique.add(JSON.stringify(secret).slice(1, -1));
      unique.add(encodeURIComponent(secret));
    }
    // Longest first, so that a secret containing another is replaced whole.
    this.#secrets = [...unique].filter((secret) => secret.length >= 6).sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.#secrets) if (result.includes(secret)) result = result.split(secret).join('****');
    return result;
  }
}

/** The secrets of `config` (and of the Redis the dashboard reads, `redisUrls`), for a {@link SecretScrubber}. */
export function configSecrets(config: TurboConfig, redisUrls: readonly string[]): string[] {
  const secrets: string[] = [];
  const ofUrl = (text: string) => {
    try {
      const url = new URL(text);
      secrets.push(decodeURIComponent(url.password), url.password);
      // A user name alone is often a token (`https://<token>@host`), which redactUrl leaves as it is.
      if (url.password === '') secrets.push(decodeURIComponent(url.username), url.username);
      for (const value of url.searchParams.values()) secrets.push(value);
    } catch {
      // not a URL: nothing to take from it
    }
  };
  for (const url of [...config.redis.nodes, ...redisUrls]) ofUrl(url);
  for (const provider of Object.values(config.providers)) {
    if (provider.apiKey) secrets.push(provider.apiKey);
    if (provider.baseURL) ofUrl(provider.baseURL);
  }
  for (const stream of config.streams) {
    ofUrl(stream.source.url);
    for (const value of Object.values(stream.source.headers)) secrets.push(value);
  }
  if (config.dashboard.token) secrets.push(config.dashboard.token);
  return secrets.filter((secret) => secret !== '');
}

/** A published alert (JSON of the channel or the log) as the page reads it; undefined when it is not one. */
export function dashboardAlert(json: string): DashboardAlert | undefined {
  try {
    const parsed = Alert.safeParse(JSON.parse(json));
    // Only the schema's fields: zod drops any other.
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** An operational event as the page reads it: no details, URL credentials masked; undefined when it is not one. */
export function dashboardEvent(json: string): DashboardEvent | undefined {
  try {
    const parsed = OpsEvent.safeParse(JSON.parse(json));
    if (!parsed.success) return undefined;
    const { type, service, streamId, message, at } = parsed.data;
    return {
      type,
      service,
      ...(streamId === undefined ? {} : { streamId }),
      message: redactUrlCredentials(message),
      at,
    };
  } catch {
    return undefined;
  }
}

function dashboardStream(row: StreamOverview): DashboardStream {
  return {
    id: row.id,
    url: row.url,
    targetsText: formatTargets(row.targets, row.samples),
    targets: row.targets.map((target, index) => ({
      provider: target.provider,
      model: target.model,
      sample: index === 0 ? 1 : sampleOf(row.samples, target),
    })),
    origin: row.override
      ? `set while running by ${row.override.setBy} at ${row.override.setAt}`
      : 'from the streams file',
    lag: describeLag(row.lag),
    source: describeSource(row.source) ?? null,
    windower: row.status
      ? {
          owner: row.status.owner,
          checkpoint: row.status.checkpoint,
          backpressured: row.status.backpressured,
          updatedAt: row.status.updatedAt,
        }
      : null,
    alarms: streamAlarms(row),
    budget: describeBudget(row.budget.limits, row.budget),
    providers: row.providers.map(({ provider, analyzers, jobs, budget }) => ({
      provider,
      analyzers,
      jobs: {
        waiting: jobs.waiting ?? 0,
        active: jobs.active ?? 0,
        delayed: jobs.delayed ?? 0,
        failed: jobs.failed ?? 0,
        completed: jobs.completed ?? 0,
      },
      budget: describeBudget(budget.limits, budget),
    })),
  };
}

export interface DashboardSourceOptions {
  redis: RedisClient;
  keys: KeyLayout;
  config: TurboConfig;
  /** The streams to show. @defaultValue the streams file's */
  streams?: () => readonly StreamConfig[];
  /** The providers view's period. @defaultValue one hour */
  since?: { text: string; ms: number };
  now?: () => number;
  /** The prices of asked questions. @defaultValue the built-in table */
  prices?: PriceBook;
}

/** Reads what the dashboard shows. */
export class DashboardSource {
  readonly #redis: RedisClient;
  readonly #keys: KeyLayout;
  readonly #config: TurboConfig;
  readonly #streams: () => readonly StreamConfig[];
  readonly #since: { text: string; ms: number };
  readonly #now: () => number;
  readonly #queues: AnalysisProducer;
  readonly #ledger: BudgetLedger;
  readonly #prices: PriceBook | undefined;

  constructor(options: DashboardSourceOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#config = options.config;
    this.#streams = options.streams ?? (() => options.config.streams);
    this.#since = options.since ?? { text: '1h', ms: 3_600_000 };
    this.#now = options.now ?? Date.now;
    this.#queues = new AnalysisProducer({ redis: options.redis, keys: options.keys });
    this.#ledger = new BudgetLedger({ redis: options.redis, keys: options.keys });
    this.#prices = options.prices;
  }

  get keys(): KeyLayout {
    return this.#keys;
  }

  async streams(): Promise<DashboardStreams> {
    const streams = this.#streams();
    const rows = await readStreamOverview({
      redis: this.#redis,
      keys: this.#keys,
      streams,
      providers: this.#config.providers,
      queues: this.#queues,
      ledger: this.#ledger,
      now: this.#now,
    });
    return {
      at: new Date(this.#now()).toISOString(),
      noStreamsFile: this.#config.streamsFile === undefined && streams.length === 0,
      streams: rows.map(dashboardStream),
    };
  }

  /** The id of the newest analysis record ('' for none): what tells whether the providers' figures changed. */
  async analysesVersion(): Promise<string> {
    const [newest] = await this.#redis.xrevrange(this.#keys.analyses, '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '';
  }

  async providers(): Promise<DashboardProviders> {
    const { report, records, order, to } = await buildReportWithRecords({
      redis: this.#redis,
      keys: this.#keys,
      streams: this.#streams(),
      since: this.#since.text,
      sinceMs: this.#since.ms,
    });
    const now = this.#now();
    const analyzers = (await listAnalyzers(this.#redis, this.#keys)).map((analyzer) => ({
      instanceId: analyzer.instanceId,
      providers: [...analyzer.providers],
      concurrency: analyzer.concurrency,
      startedAt: analyzer.startedAt,
      lastSeenMsAgo: Math.max(0, now - analyzer.lastSeen),
      live: now - analyzer.lastSeen <= ANALYZER_TTL_MS,
    }));
    return {
      since: report.since,
      from: report.from,
      to: report.to,
      records: report.log.records,
      trimmed: report.log.trimmed,
      streams: report.streams,
      analyzers,
      compare: compareWindows(records, order),
      rates: Object.fromEntries(messageRates(records, to, RATE_MINUTES)),
      rateMinutes: RATE_MINUTES,
    };
  }

  /**
   * Sets (or resets) a stream's targets from the next window on, as `turbostream streams set` does (the same
   * function); throws its UsageError when the request is not valid. The streams are those shown (`up`'s demo too).
   */
  async setTargets(request: SetTargetsRequest, setBy: string): Promise<SetTargetsResult> {
    return setStreamTargetsIn(
      {
        redis: this.#redis,
        keys: this.#keys,
        config: { ...this.#config, streams: [...this.#streams()] },
        setBy,
        now: this.#now,
      },
      request,
    );
  }

  /** Asks a question about a stream's latest messages, as `turbostream ask` does (askStream); the streams shown. */
  ask(options: {
    streamId: string;
    question: string;
    provider?: string | undefined;
    model?: string | undefined;
    signal: AbortSignal;
  }): AsyncGenerator<AskEvent, void, undefined> {
    return askStream({
      redis: this.#redis,
      keys: this.#keys,
      config: { ...this.#config, streams: [...this.#streams()] },
      ...options,
      ...(this.#prices ? { prices: this.#prices } : {}),
    });
  }

  /** The latest alerts of the durable log, oldest first. */
  async recentAlerts(count: number = DASHBOARD_LIMITS.recentAlerts): Promise<DashboardAlert[]> {
    const entries = await this.#redis.xrevrange(this.#keys.alertLog, '+', '-', 'COUNT', count);
    return entries
      .map(([, fields]) => dashboardAlert(fieldsToObject(fields).alert ?? ''))
      .filter((alert): alert is DashboardAlert => alert !== undefined)
      .reverse();
  }

  /** The latest operational events of the durable log, oldest first. */
  async recentEvents(count: number = DASHBOARD_LIMITS.recentEvents): Promise<DashboardEvent[]> {
    const entries = await this.#redis.xrevrange(this.#keys.eventLog, '+', '-', 'COUNT', count);
    return entries
      .map(([, fields]) => dashboardEvent(fieldsToObject(fields).event ?? ''))
      .filter((event): event is DashboardEvent => event !== undefined)
      .reverse();
  }

  /** The entries `ids` of stream `streamId` (`XRANGE id id` each), in the order asked. */
  async evidence(streamId: string, ids: readonly string[]): Promise<DashboardEvidence> {
    const key = this.#keys.messages(streamId);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.xrange(key, id, id);
    const replies = (await pipeline.exec()) ?? [];
    const entries = ids.map((id, index) => {
      const [error, reply] = replies[index] ?? [new Error('no reply'), null];
      const entry = error ? undefined : (reply as [string, string[]][] | null)?.[0];
      if (!entry) return { id, found: false };
      const fields = StreamEntryFields.safeParse(fieldsToObject(entry[1]));
      if (!fields.success) return { id, found: false };
      return fields.data.kind === 'message'
        ? { id, found: true, kind: 'message' as const, receivedAt: fields.data.receivedAt, data: fields.data.data }
        : { id, found: true, kind: 'gap' as const, receivedAt: fields.data.receivedAt, reason: fields.data.reason };
    });
    return { streamId, entries };
  }

  async close(): Promise<void> {
    await this.#queues.close();
  }
}
