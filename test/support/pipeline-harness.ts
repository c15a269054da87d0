/**
 * The data path as separate OS processes, for the pipeline end-to-end tests:
 * a loopback WebSocket source, `turbostream ingest`, `turbostream windower`
 * and two `turbostream analyzer` processes (`analyzer-1`, `analyzer-2`),
 * analysing with the `openai` provider against a loopback fake of the Chat
 * Completions API that answers one alert citing each window. The Redis is the
 * caller's: one server or a cluster.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert, WindowJob, WindowJobResult } from '@turbostream/contracts';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import {
  chatMessages,
  type FakeOpenAI,
  type FakeOpenAIReply,
  freePort,
  type RecordedRequest,
  startFakeOpenAI,
  waitFor,
} from '@turbostream/testkit';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { FakeSource } from './fake-source.js';
import { assertCliBuilt, dumpOutputsOnFailure, ServiceProcess } from './service-process.js';
import { alertCitingWindow } from './window-answers.js';

export const OPENAI_KEY = 'sk-e2e-test-key-0123456789';

export interface PipelineOptions<Client extends Redis | Cluster> {
  /** What the services get as REDIS_URL. */
  redisUrl: string;
  /** A new client of that Redis (the harness closes the ones it makes). */
  client: () => Client;
  namespace: string;
  /** The streams of streams.yaml: all read the one source, each subscribing with `subscribe(id)`. */
  streams: readonly string[];
  subscribe: (streamId: string) => string;
  /** More environment for every service. */
  env?: Record<string, string>;
  /** The streams' model. @defaultValue `gpt-e2e` (no price) */
  model?: string;
  /** Each stream's `budget:` in streams.yaml, as a YAML flow mapping (`{ usdPerDay: 1 }`). */
  budget?: string;
  /** The usage the fake model reports for every call. @defaultValue estimated from the request and the answer */
  usage?: { promptTokens: number; completionTokens: number };
  /** Each stream's `compare:` in streams.yaml, as a YAML flow sequence (`[{ provider: openai, model: m }]`). */
  compare?: string;
  /**
   * What the fake model answers to a prompt, by model; `undefined` falls back to the default answer.
   * @defaultValue one alert citing the window's first entry
   */
  answer?: (prompt: string, model: string, request: RecordedRequest) => FakeOpenAIReply | undefined;
  /** Give every service a HEALTH_PORT of its own (on 127.0.0.1), for {@link PipelineHarness.scrape}. */
  healthPorts?: boolean;
}

type CompletedJob = { data: WindowJob; result: WindowJobResult; job: Awaited<ReturnType<Queue['getJobs']>>[number] };

export class PipelineHarness<Client extends Redis | Cluster> {
  readonly processes: ServiceProcess[] = [];
  /** Alerts a plain subscriber of `<namespace>:alerts` received. */
  readonly alertsSeen: Alert[] = [];
  readonly keys: KeyLayout;
  /** How long the fake model waits before its first token. */
  delayMs = 300;
  /** Messages sent by `sendMessages` so far (to every stream). */
  sent = 0;
  /** The services' working directory (streams.yaml) and environment, set once started. */
  cwd = '';
  env: Record<string, string> = {};
  /** Each service's HEALTH_PORT, by name, when started with `healthPorts`. */
  readonly healthPorts = new Map<string, number>();
  readonly #options: PipelineOptions<Client>;
  #redis: Client | undefined;
  #subscriber: Client | undefined;
  #source: FakeSource | undefined;
  #llm: FakeOpenAI | undefined;
  #queue: Queue | undefined;
  #queueConnection: Client | undefined;

  private constructor(options: PipelineOptions<Client>) {
    this.#options = options;
    this.keys = createKeyLayout(options.namespace);
  }

  /** Starts everything and waits until ingest has subscribed every stream. On failure, stops what it started. */
  static async start<Client extends Redis | Cluster>(
    options: PipelineOptions<Client>,
  ): Promise<PipelineHarness<Client>> {
    assertCliBuilt();
    const harness = new PipelineHarness(options);
    try {
      await harness.#start();
    } catch (error) {
      await harness.stop();
      throw error;
    }
    return harness;
  }

  async #start(): Promise<void> {
    const { namespace, streams, subscribe } = this.#options;
    this.#redis = this.#options.client();
    const subscriber = this.#options.client();
    this.#subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) =>
      this.alertsSeen.push(Alert.parse(JSON.parse(message))),
    );
    await subscriber.subscribe(this.keys.alertsChannel);
    const source = await FakeSource.start();
    this.#source = source;
    this.#llm = await startFakeOpenAI({
      apiKey: OPENAI_KEY,
      handler: (request) => {
        const user = chatMessages(request).find((message) => message.role === 'user')?.content ?? '';
        const model = (request.body as { model?: unknown } | undefined)?.model;
        const answer = this.#options.answer?.(user, typeof model === 'string' ? model : '', request);
        if (answer) return answer;
        const usage = this.#options.usage;
        return {
          content: alertCitingWindow(user),
          firstTokenDelayMs: this.delayMs,
          chunkDelayMs: 5,
          ...(usage ? { usage } : {}),
        };
      },
    });
    const cwd = mkdtempSync(join(tmpdir(), `turbostream-${namespace}-e2e-`));
    this.cwd = cwd;
    const { model = 'gpt-e2e', budget, compare } = this.#options;
    const stream = (id: string) =>
      `  - id: ${id}\n    source: { url: ${source.url}, subscribe: ['${subscribe(id)}'] }\n    window: { ` +
      `maxMessages: 20, maxSeconds: 1 }\n    analysis: { provider: openai, model: ${model}, instructions: Flag ` +
      `every window. }\n${budget ? `    budget: ${budget}\n` : ''}${compare ? `    compare: ${compare}\n` : ''}`;
    writeFileSync(join(cwd, 'streams.yaml'), `streams:\n${streams.map(stream).join('')}`);
    this.env = {
      REDIS_URL: this.#options.redisUrl,
      TURBOSTREAM_NAMESPACE: namespace,
      TURBOSTREAM_ENV_FILE: '/dev/null',
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: this.#llm.url,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      WINDOWER_POLL_MS: '50',
      ANALYZER_CONCURRENCY: '4',
      ANALYZER_LOCK_MS: '3000',
      LLM_TIMEOUT_MS: '20000',
      ...this.#options.env,
    };
    const env = this.env;
    const spawnService = async (name: string, command: string, instanceId: string) => {
      const health: Record<string, string> = {};
      if (this.#options.healthPorts) {
        const port = await freePort();
        this.healthPorts.set(name, port);
        Object.assign(health, { HEALTH_PORT: String(port), HEALTH_HOST: '127.0.0.1' });
      }
      this.processes.push(
        new ServiceProcess(name, [command], { cwd, env: { ...env, ...health, TURBOSTREAM_INSTANCE_ID: instanceId } }),
      );
    };
    await spawnService('analyzer-1', 'analyzer', 'analyzer-1');
    await spawnService('analyzer-2', 'analyzer', 'analyzer-2');
    await spawnService('windower', 'windower', 'windower-1');
    await spawnService('ingest', 'ingest', 'ingest-1');
    this.#queueConnection = this.#options.client();
    this.#queue = new Queue('analysis-openai', { connection: this.#queueConnection, prefix: this.keys.queuePrefix });
    await waitFor(() => streams.every((id) => source.received.includes(subscribe(id))), {
      timeoutMs: 20_000,
      description: 'ingest to connect and subscribe every stream',
    });
  }

  get redis(): Client {
    return this.#ready(this.#redis);
  }

  get source(): FakeSource {
    return this.#ready(this.#source);
  }

  get llm(): FakeOpenAI {
    return this.#ready(this.#llm);
  }

  get queue(): Queue {
    return this.#ready(this.#queue);
  }

  #ready<T>(value: T | undefined): T {
    if (value === undefined) throw new Error('the pipeline harness has not started');
    return value;
  }

  service(name: string): ServiceProcess {
    const found = this.processes.find((service) => service.name === name);
    if (!found) throw new Error(`no ${name}`);
    return found;
  }

  /**
   * Sends `count` messages, `{seq, price, qty}` with seq counting on from `sent`,
   * to every stream; after every 25 it waits until ingest has stored all sent so far.
   */
  async sendMessages(count: number): Promise<void> {
    for (let index = 0; index < count; index += 1) {
      await this.source.send(
        JSON.stringify({ seq: this.sent, price: (100 + (this.sent % 7) * 0.01).toFixed(2), qty: 1 }),
      );
      this.sent += 1;
      if (index % 25 === 24 || index === count - 1) await this.#storedAll();
    }
  }

  async #storedAll(): Promise<void> {
    const sent = this.sent;
    await waitFor(
      async () => {
        for (const id of this.#options.streams)
          if (Number(await this.redis.hget(this.keys.stats(id), 'stored')) < sent) return false;
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 10, description: `ingest to store ${sent} messages in every stream` },
    );
  }

  async completedJobs(): Promise<CompletedJob[]> {
    const jobs = await this.queue.getJobs(['completed'], 0, -1);
    return jobs.map((job) => ({
      data: WindowJob.parse(job.data),
      result: WindowJobResult.parse(job.returnvalue),
      job,
    }));
  }

  /**
   * The completed jobs once every message sent so far is, in every stream, in exactly one completed window; else
   * undefined.
   */
  readonly everyMessageWindowedOnce = async (): Promise<CompletedJob[] | undefined> => {
    const jobs = await this.completedJobs();
    for (const streamId of this.#options.streams) {
      const seqs = jobs
        .filter(({ data }) => data.window.streamId === streamId)
        .flatMap(({ data }) =>
          data.window.messages.map((message) => (JSON.parse(message.data) as { seq: number }).seq),
        );
      if (seqs.length !== this.sent || new Set(seqs).size !== this.sent) return undefined;
    }
    return jobs;
  };

  /** Waits until a job of `analysis-openai` is active on `analyzer`. */
  async untilHoldsJob(analyzer: string): Promise<void> {
    await waitFor(
      async () => {
        const active = await this.queue.getJobs(['active'], 0, -1);
        return active.some((job) => job.processedBy === analyzer);
      },
      { timeoutMs: 30_000, intervalMs: 50, description: `${analyzer} to hold a job` },
    );
  }

  /** The text `GET /metrics` of a service answers (started with `healthPorts`). */
  async scrape(name: string): Promise<string> {
    const port = this.healthPorts.get(name);
    if (port === undefined) throw new Error(`${name} has no health port: start the harness with healthPorts`);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!response.ok) throw new Error(`${name} /metrics answered ${response.status}`);
    return response.text();
  }

  /** Runs `body`; when it fails, prints the tail of each process's output before rethrowing. */
  dumpOnFailure<T>(body: () => Promise<T>): Promise<T> {
    return dumpOutputsOnFailure(this.processes, body);
  }

  /** Stops the processes (SIGTERM), then closes what the harness opened. */
  async stop(): Promise<void> {
    const exitCodes = await Promise.all(
      this.processes.map(async (service) => [service.name, await service.stop()] as const),
    );
    for (const [name, code] of exitCodes)
      if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}\n`);
    await this.#queue?.close();
    this.#queueConnection?.disconnect();
    this.#subscriber?.disconnect();
    this.#redis?.disconnect();
    await this.#llm?.close();
    await this.#source?.close();
  }
}
