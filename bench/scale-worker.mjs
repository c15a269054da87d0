// The baselines of bench/scale.mjs: processes like an analyzer replica (the CLI's Node flags, libs/queue's
// AnalysisConsumer with the analyzer's worker options, one connection as the analyzer's BullMQ one) whose jobs do
// less than an analyzer's.
//   MODE=bullmq    the job only waits LATENCY_MS on a timer: no HTTP call, no prompt, no validation, no budgets, no
//                  alerts, no analysis log, no rate-limit gate. What it costs per job is BullMQ's own cost.
//   MODE=llm-call  the job is the provider call alone, as the analyzer makes it (libs/providers' OpenAI provider
//                  through analyzeWithRepair, the analyzer's default LLM settings) against the fake at
//                  OPENAI_BASE_URL: the prompt, the SDK, HTTP and the answer's parsing, without the rest.
// Started by scale.mjs with `fork`; sends 'ready' once its worker is connected, and stops on SIGTERM as the analyzer
// does (active jobs finish, then it closes). Environment: MODE, REDIS_URL, TURBOSTREAM_NAMESPACE, WORKER_NAME,
// CONCURRENCY, LATENCY_MS, LOCK_MS, OPENAI_API_KEY, OPENAI_BASE_URL.
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@turbostream/logging';
import { analyzeWithRepair, createOpenAIProvider } from '@turbostream/providers';
import { AnalysisConsumer } from '@turbostream/queue';
import { closeRedis, connectRedis, createKeyLayout } from '@turbostream/redis';

const env = process.env;
const latencyMs = Number(env.LATENCY_MS);
const name = env.WORKER_NAME ?? 'baseline';
const logger = createLogger({ level: 'warn', base: { service: 'scale-worker', name } });
const connection = connectRedis({ url: env.REDIS_URL ?? 'redis://127.0.0.1:6379', name: 'bench:scale-worker' });
const provider =
  env.MODE === 'llm-call'
    ? createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL })
    : undefined;

/** The job's work: the provider call, or a wait as long as the fake's. */
async function work(data) {
  if (!provider) {
    await sleep(latencyMs);
    return { inputTokens: 0, outputTokens: 0, ttftMs: latencyMs, totalMs: latencyMs };
  }
  // LLM_MAX_TOKENS, LLM_TEMPERATURE and scale.mjs's LLM_TIMEOUT_MS, as the analyzers run with them.
  const result = await analyzeWithRepair(provider, {
    model: data.target.model,
    instructions: data.instructions,
    window: data.window,
    maxTokens: 1024,
    temperature: 0.2,
    timeoutMs: Math.max(30_000, latencyMs * 10),
  });
  return { ...result.usage, ...result.timings };
}

const consumer = new AnalysisConsumer({
  connection,
  keys: createKeyLayout(env.TURBOSTREAM_NAMESPACE),
  logger,
  providers: ['openai'],
  name,
  concurrency: Number(env.CONCURRENCY),
  lockMs: Number(env.LOCK_MS ?? 30_000),
  // A result shaped as an analyzer's (WindowJobResult), so that storing it costs the same.
  process: async (job) => {
    const { inputTokens, outputTokens, ttftMs, totalMs } = await work(job.data);
    return { v: 1, analyzer: name, alertIds: [], published: 0, ttftMs, totalMs, inputTokens, outputTokens, costUsd: 0 };
  },
  rateLimitedFor: () => undefined,
  onFailed: (_provider, job, err) => logger.warn({ err, jobId: job?.id }, 'baseline job failed'),
  drainTimeoutMs: 30_000,
});
await consumer.start();
process.send?.('ready');
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await consumer.close();
  await closeRedis(connection);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('disconnect', stop); // the benchmark is gone (killed): so is its worker
