/**
 * The pipeline a chaos scenario runs against: a real redis-server, the
 * numbered source, a fast loopback fake of the OpenAI API, and `turbostream
 * ingest`, `windower` and `analyzer` as OS processes that the scenario can
 * kill, stop and start again. Every stream is analysed by two targets (the
 * built-in `heuristic` provider and `openai` through the fake), so that
 * "analysed" means a completed job per target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert, type ProviderId } from '@turbostream/contracts';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import {
  chatMessages,
  type FakeOpenAI,
  RedisServer,
  type RedisServerOptions,
  startFakeOpenAI,
  waitFor,
} from '@turbostream/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { NumberedSource } from '../support/numbered-source.js';
import { ServiceProcess } from '../support/service-process.js';
import { alertCitingWindow } from '../support/window-answers.js';
import {
  type ChaosCounts,
  countSnapshot,
  lastStoredSeq,
  type PipelineSnapshot,
  readEntries,
  readSnapshot,
} from './checker.js';

/** The one stream every scenario feeds. */
export const STREAM_ID = 'chaos';
/** The analysis targets of the stream; every window gets a job for each. */
export const TARGETS = [
  { provider: 'heuristic', model: 'mad' },
  { provider: 'openai', model: 'gpt-chaos' },
] as const satisfies readonly { provider: ProviderId; model: string }[];
/** How the checker names a target: `<provider>/<model>`. */
export const TARGET_LABELS: readonly string[] = TARGETS.map((target) => `${target.provider}/${target.model}`);
const OPENAI_KEY = 'sk-chaos-test-key-0123456789';
/** The checker's own Redis user, for Redis servers whose default user's password a scenario changes. */
const CHECKER_USER = { username: 'chaos-checker', password: 'chaos-checker-pw' };

/** The services a scenario starts, kills and stops. */
export type ServiceKind = 'ingest' | 'windower' | 'analyzer';

/** How a scenario's pipeline differs from the default one. */
export interface PipelineOptions {
  redis?: RedisServerOptions;
  /** Settings of every service, over the defaults. */
  env?: Record<string, string>;
  /** The fake model's time to first token. @defaultValue 20 */
  llmDelayMs?: number;
  /** A password for Redis's default user (`requirepass`), given to the services in `REDIS_URL`. */
  password?: string;
}

/** How long {@link ChaosPipeline.settle} waits, at most, for each of its conditions. */
export interface SettleLimits {
  /** For the last number sent to be stored. @defaultValue 30000 */
  storedMs?: number;
  /**
   * For every stored message to be in a completed window of every target, and every alert logged. @defaultValue 60000
   */
  analysedMs?: number;
}

const DEFAULT_ENV: Record<string, string> = {
  TURBOSTREAM_ENV_FILE: '/dev/null',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
  WINDOWER_POLL_MS: '50',
  WINDOWER_LEASE_MS: '3000',
  ANALYZER_CONCURRENCY: '8',
  ANALYZER_LOCK_MS: '3000',
  LLM_TIMEOUT_MS: '20000',
  INGEST_RECONNECT_INITIAL_MS: '100',
  INGEST_RECONNECT_MAX_MS: '1000',
  SHUTDOWN_TIMEOUT_MS: '5000',
};

/** The streams file: one stream, windows of at most 50 messages or 1 s, two targets. */
function streamsYaml(sourceUrl: string): string {
  return [
    'streams:',
    `  - id: ${STREAM_ID}`,
    `    source: { url: "${sourceUrl}" }`,
    '    window: { maxMessages: 50, maxSeconds: 1 }',
    '    analysis: { provider: heuristic, instructions: Flag anomalies. }',
    '    compare:',
    '      - { provider: openai, model: gpt-chaos }',
    '',
  ].join('\n');
}

/** A fresh Redis, source, fake model and working directory; services are started by the scenario. */
export class ChaosPipeline {
  readonly namespace = `chaos${Math.random().toString(36).slice(2, 8)}`;
  readonly keys: KeyLayout;
  readonly redisServer: RedisServer;
  readonly source: NumberedSource;
  readonly llm: FakeOpenAI;
  /** Every service started, in start order. */
  readonly services: ServiceProcess[] = [];
  /** Alert ids received on the alerts channel, in order (a subscriber's view). */
  readonly channelAlertIds: string[] = [];
  /** The fake model's time to first token; a scenario may change it while it runs. */
  llmDelayMs: number;
  readonly #options: PipelineOptions;
  readonly #cwd: string;
  readonly #clients: Redis[] = [];
  readonly #queues = new Map<string, Queue>();
  readonly #redis: Redis;

  private constructor(parts: {
    redisServer: RedisServer;
    source: NumberedSource;
    llm: FakeOpenAI;
    cwd: string;
    options: PipelineOptions;
  }) {
    this.redisServer = parts.redisServer;
    this.source = parts.source;
    this.llm = parts.llm;
    this.#cwd = parts.cwd;
    this.#options = parts.options;
    this.llmDelayMs = parts.options.llmDelayMs ?? 20;
    this.keys = createKeyLayout(this.namespace);
    this.#redis = this.client();
    for (const target of TARGETS) {
      const queue = new Queue(analysisQueueName(target.provider), {
        connection: this.client(),
        prefix: this.keys.queuePrefix,
      });
      // Redis goes away in some scenarios: the checker waits for it, quietly.
      queue.on('error', () => {});
      this.#queues.set(`${target.provider}/${target.model}`, queue);
    }
  }

  /** Starts Redis (with the password, if any), the source and the fake model; no service yet. */
  static async create(options: PipelineOptions = {}): Promise<ChaosPipeline> {
    const redisServer = await RedisServer.start(options.redis ?? {});
    try {
      if (options.password !== undefined) await ChaosPipeline.#protect(redisServer, options.password);
      const source = await NumberedSource.start();
      let pipeline: ChaosPipeline | undefined;
      const llm = await startFakeOpenAI({
        apiKey: OPENAI_KEY,
        handler: (request) => {
          const user = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
          return { content: alertCitingWindow(user), firstTokenDelayMs: pipeline?.llmDelayMs ?? 20, chunkDelayMs: 1 };
        },
      });
      const cwd = mkdtempSync(join(tmpdir(), 'turbostream-chaos-'));
      writeFileSync(join(cwd, 'streams.yaml'), streamsYaml(source.url));
      pipeline = new ChaosPipeline({ redisServer, source, llm, cwd, options });
      await pipeline.#subscribe();
      return pipeline;
    } catch (error) {
      await redisServer.dispose();
      throw error;
    }
  }

  /**
   * Gives the default user `password`, and the checker a user of its own that keeps working whatever that password
   * becomes.
   */
  static async #protect(redisServer: RedisServer, password: string): Promise<void> {
    const admin = redisServer.client();
    try {
      await admin.call('ACL', 'SETUSER', CHECKER_USER.username, 'on', `>${CHECKER_USER.password}`, '~*', '&*', '+@all');
      await admin.config('SET', 'requirepass', password);
    } finally {
      admin.disconnect();
    }
  }

  /** The Redis URL the services use (with the password, when there is one). */
  get redisUrl(): string {
    const { password } = this.#options;
    return password === undefined
      ? this.redisServer.url
      : `redis://:${encodeURIComponent(password)}@127.0.0.1:${this.redisServer.port}`;
  }

  /** A Redis client of the checker (its own user when the server has a password); closed by {@link dispose}. */
  client(): Redis {
    const auth = this.#options.password === undefined ? {} : CHECKER_USER;
    const client = new Redis({ host: '127.0.0.1', port: this.redisServer.port, maxRetriesPerRequest: null, ...auth });
    client.on('error', () => {});
    this.#clients.push(client);
    return client;
  }

  /** Starts one more process of `kind`, named `<kind>-<n>`, with `env` over the pipeline's settings. */
  start(kind: ServiceKind, env: Record<string, string> = {}): ServiceProcess {
    const name = `${kind}-${this.services.filter((service) => service.name.startsWith(`${kind}-`)).length + 1}`;
    const service = new ServiceProcess(name, [kind], {
      cwd: this.#cwd,
      env: {
        ...DEFAULT_ENV,
        REDIS_URL: this.redisUrl,
        TURBOSTREAM_NAMESPACE: this.namespace,
        TURBOSTREAM_INSTANCE_ID: name,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: this.llm.url,
        ...this.#options.env,
        ...env,
      },
    });
    this.services.push(service);
    return service;
  }

  /** The most recent running process of `kind`. */
  running(kind: ServiceKind): ServiceProcess {
    const service = this.services
      .filter((candidate) => candidate.name.startsWith(`${kind}-`) && candidate.running)
      .at(-1);
    if (!service) throw new Error(`no ${kind} is running`);
    return service;
  }

  /** Starts an analyzer, a windower and ingest, and waits until ingest listens to the source. */
  async startAll(env: Partial<Record<ServiceKind, Record<string, string>>> = {}): Promise<void> {
    this.start('analyzer', env.analyzer);
    this.start('windower', env.windower);
    const connections = this.source.connections;
    this.start('ingest', env.ingest);
    await this.source.waitForConnection(connections, 30_000);
  }

  /** Starts ingest again and waits until it is connected to the source. */
  async restartIngest(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const connections = this.source.connections;
    const service = this.start('ingest', env);
    await this.source.waitForConnection(connections, 30_000);
    return service;
  }

  /** Entries (messages and gaps) in the source stream. */
  async streamLength(): Promise<number> {
    return this.#redis.xlen(this.keys.messages(STREAM_ID));
  }

  /** Waits until the stream holds `more` entries beyond what it holds now. */
  async waitForMore(more: number, timeoutMs = 30_000): Promise<void> {
    const target = (await this.streamLength()) + more;
    await waitFor(async () => (await this.streamLength()) >= target, {
      timeoutMs,
      intervalMs: 50,
      description: `${more} more entries in the stream`,
    });
  }

  /** Waits until the windower has committed `more` windows beyond those committed now. */
  async waitForWindows(more: number, timeoutMs = 30_000): Promise<void> {
    const committed = async () => Number((await this.#redis.hget(this.keys.windowState(STREAM_ID), 'windows')) ?? 0);
    const target = (await committed()) + more;
    await waitFor(async () => (await committed()) >= target, {
      timeoutMs,
      intervalMs: 50,
      description: `${more} more windows committed`,
    });
  }

  /** Jobs that the analyzer named `instance` holds (active) now, over every target's queue. */
  async heldJobs(instance: string): Promise<number> {
    let held = 0;
    for (const queue of this.#queues.values())
      held += (await queue.getJobs(['active'], 0, -1)).filter((job) => job?.processedBy === instance).length;
    return held;
  }

  /** What Redis holds now. */
  snapshot(): Promise<PipelineSnapshot> {
    return readSnapshot(this.#redis, this.keys, STREAM_ID, this.#queues);
  }

  /** The checker's figures for a snapshot. */
  count(snapshot: PipelineSnapshot): ChaosCounts {
    return countSnapshot(snapshot, this.source.sent, TARGET_LABELS);
  }

  /**
   * Once the feed has stopped: waits until the last number sent is stored,
   * then until every stored message is in a completed window of every target
   * with its alerts logged, each within a bound; returns the figures as they
   * are then (settled or not).
   */
  async settle(limits: SettleLimits = {}): Promise<ChaosCounts> {
    let lastSent = -1;
    for (const seq of this.source.sent) lastSent = Math.max(lastSent, seq);
    const key = this.keys.messages(STREAM_ID);
    await waitFor(async () => lastStoredSeq(await readEntries(this.#redis, key)) >= lastSent, {
      timeoutMs: limits.storedMs ?? 30_000,
      intervalMs: 200,
      description: 'the last number sent to be stored',
    }).catch(() => undefined);
    const settled = async () => {
      const counts = this.count(await this.snapshot());
      return counts.windowedNone === 0 && counts.pendingJobs === 0 && counts.alertsMissing === 0 ? counts : undefined;
    };
    const counts = await waitFor(settled, {
      timeoutMs: limits.analysedMs ?? 60_000,
      intervalMs: 300,
      description: 'the pipeline to settle',
    }).catch(() => undefined);
    return counts ?? this.count(await this.snapshot());
  }

  /** Alert ids a subscriber received more than once. */
  channelDuplicates(): number {
    return this.channelAlertIds.length - new Set(this.channelAlertIds).size;
  }

  /** Every service's output, for searching (secrets) and for diagnosis. */
  outputs(): string {
    return this.services.map((service) => service.output).join('\n');
  }

  /** Stops every service (SIGTERM), then everything else; removes the working directory and Redis's data. */
  async dispose(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop(10_000)));
    for (const queue of this.#queues.values()) await queue.close().catch(() => {});
    for (const client of this.#clients) client.disconnect();
    await this.llm.close();
    await this.source.close();
    await this.redisServer.dispose();
    rmSync(this.#cwd, { recursive: true, force: true });
  }

  async #subscribe(): Promise<void> {
    const subscriber = this.client();
    subscriber.on('message', (_channel: string, message: string) => {
      const alert = Alert.safeParse(JSON.parse(message));
      this.channelAlertIds.push(alert.success ? alert.data.id : '(unparsable alert)');
    });
    await subscriber.subscribe(this.keys.alertsChannel);
  }
}
