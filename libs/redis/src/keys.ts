/**
 * The Redis key layout. Every key of one source stream shares the hash tag
 * `{<namespace>:<streamId>}` so that a stream's keys live in one Redis Cluster
 * slot; the alert log's companions are tagged with the log's own name.
 *
 * The namespace defaults to `turbostream`; tests (and tenants sharing a Redis)
 * use another one.
 */
export interface KeyLayout {
  readonly namespace: string;
  /** Pub/sub channel every alert goes to. */
  readonly alertsChannel: string;
  /** Pub/sub channel of one stream's alerts. */
  alertsChannelOf(streamId: string): string;
  /** Durable stream of every published alert, so late subscribers can catch up. */
  readonly alertLog: string;
  /** Marker key that an alert id was published (same slot as the log). */
  alertSeen(alertId: string): string;
  /** Pub/sub channel of operational events. */
  readonly eventsChannel: string;
  /** Durable, capped stream of operational events. */
  readonly eventLog: string;
  /** Frames kept aside with their reason. */
  readonly deadLetters: string;
  /** Capped stream of analysis outcomes (AnalysisRecord JSON), which `turbostream report` reads. */
  readonly analyses: string;
  /** The source's Redis stream of messages. */
  messages(streamId: string): string;
  /** Counters of one source (received, stored, dead letters, reconnects). */
  stats(streamId: string): string;
  /**
   * Ingest's record of the append batches it wrote to one stream (a hash: writer
   * id → its last batch), so that a batch sent again after a lost reply is not
   * appended twice. Each field expires a day after its writer's last batch.
   */
  appendBatches(streamId: string): string;
  /** The windower's checkpoint for one stream (a hash). */
  windowState(streamId: string): string;
  /** The lease that makes one windower the owner of one stream. */
  windowLease(streamId: string): string;
  /** BullMQ key prefix (a hash tag, so each queue's keys share a cluster slot). */
  readonly queuePrefix: string;
  /** Sorted set of the analyzers serving a provider, scored by their last heartbeat (epoch ms). */
  providerAnalyzers(provider: string): string;
  /** Until when (epoch ms) a provider asked us to wait after a 429; expires by itself. */
  providerCooldown(provider: string): string;
  /**
   * A budget's ledger (a hash: spend per day and per minute, and when it ran out), for a scope such as
   * `stream:<id>` or `provider:<id>`. Every ledger of a namespace shares one hash tag, so a reservation over a stream
   * and a provider is one script on one cluster slot.
   */
  budget(scope: string): string;
  /** Hash of analyzer instance id → its latest heartbeat (AnalyzerInfo JSON). */
  readonly analyzers: string;
  /** Hash of stream id → targets set while running (StreamTargetOverride JSON). */
  readonly streamTargets: string;
  /** A stream's status as its windower last wrote it (StreamStatus JSON). */
  streamStatus(streamId: string): string;
  /** The lease that lets one `turbostream up` demo at a time run in this namespace (holder JSON; expires by itself). */
  readonly demoLease: string;
  /**
   * `SCAN ... MATCH` patterns that together match every key this namespace
   * uses — every member above and every BullMQ key under {@link queuePrefix} —
   * and no key of another namespace (`turbostream` and `turbostream-demo`
   * included). A new key must be covered here: `namespace-keys.test.ts` checks it.
   */
  readonly keyPatterns: readonly string[];
}

/** Escapes the characters that are special in a Redis glob pattern (`*`, `?`, `[`, `]`, `\`). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export function createKeyLayout(namespace = 'turbostream'): KeyLayout {
  const tag = (streamId: string) => `${namespace}:{${namespace}:${streamId}}`;
  const alertLog = `${namespace}:alerts:log`;
  return {
    namespace,
    alertsChannel: `${namespace}:alerts`,
    alertsChannelOf: (streamId) => `${namespace}:alerts:${streamId}`,
    alertLog,
    alertSeen: (alertId) => `{${alertLog}}:seen:${alertId}`,
    eventsChannel: `${namespace}:events`,
    eventLog: `${namespace}:events:log`,
    deadLetters: `${namespace}:deadletter`,
    analyses: `${namespace}:analyses`,
    messages: (streamId) => `${tag(streamId)}:messages`,
    stats: (streamId) => `${tag(streamId)}:stats`,
    appendBatches: (streamId) => `${tag(streamId)}:appends`,
    windowState: (streamId) => `${tag(streamId)}:window`,
    windowLease: (streamId) => `${tag(streamId)}:lease`,
    queuePrefix: `{${namespace}}`,
    providerAnalyzers: (provider) => `${namespace}:providers:${provider}:analyzers`,
    providerCooldown: (provider) => `${namespace}:providers:${provider}:cooldown`,
    budget: (scope) => `${namespace}:{${namespace}:budget}:${scope}`,
    analyzers: `${namespace}:analyzers`,
    streamTargets: `${namespace}:streams:targets`,
    streamStatus: (streamId) => `${tag(streamId)}:status`,
    demoLease: `${namespace}:demo:lease`,
    keyPatterns: [
      // every key named `<namespace>:...`, stream keys (`<namespace>:{<namespace>:<id>}:...`) included
      `${escapeGlob(namespace)}:*`,
      // BullMQ: `{<namespace>}:<queue>:...` (the closing brace keeps `{turbostream-demo}` out of `turbostream`)
      `${escapeGlob(`{${namespace}}`)}:*`,
      // alert-seen markers: `{<namespace>:alerts:log}:seen:<alertId>`
      `${escapeGlob(`{${alertLog}}`)}:seen:*`,
    ],
  };
}
