// Budgets across replicas: 4 analyzer processes (separate processes of the built CLI) × ANALYZER_CONCURRENCY 16
// draining a backlog of one stream's windows against a fake OpenAI whose calls vary in latency and usage, with a
// dollar budget that runs out mid-run. It prints the budget, what the fake says was spent (its own usage × the
// model's price), the overshoot, and the calls the fake received after the budget ran out.
// Run with `npm run bench:budget` (builds first), or after a build:
//   node bench/budget.mjs [--replicas 4] [--concurrency 16] [--windows 1500] [--budget 0.25] [--seed 7]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { MODEL_ANSWER_JSON_SCHEMA } from '@turbostream/contracts';
import { PriceBook } from '@turbostream/costs';
import { analysisQueueName } from '@turbostream/queue';
import { createKeyLayout } from '@turbostream/redis';
import { chatMessages, RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { Queue } from 'bullmq';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { backlogJobs } from './scale-backlog.mjs';
import { seededRandom, startAnalyzerProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    windows: { type: 'string', default: '1500' },
    budget: { type: 'string', default: '0.25' },
    seed: { type: 'string', default: '7' },
  },
});
const replicas = Number(values.replicas);
const concurrency = Number(values.concurrency);
const windows = Number(values.windows);
const budgetUsd = Number(values.budget);
const MAX_TOKENS = 512;
const API_KEY = 'sk-bench-budget-0123456789';
const TARGET = { provider: 'openai', model: 'gpt-4.1-mini' };
const STREAM = 'spend';
const price = new PriceBook().priceOf(TARGET.provider, TARGET.model);
if (!price) throw new Error(`no built-in price for ${TARGET.model}`);

/** The same seed gives the same latencies and usages. */
const next = seededRandom(Number(values.seed));

/** What the fake received: when, and what the call cost by its own usage. */
const calls = [];
const SCHEMA_TOKENS = countTokens(JSON.stringify(MODEL_ANSWER_JSON_SCHEMA));

const redisServer = await RedisServer.start();
const redis = redisServer.client();
const llm = await startFakeOpenAI({
  apiKey: API_KEY,
  handler: (request) => {
    // Input as OpenAI counts it: the messages (o200k_base), their framing and the answer schema; output anywhere
    // from a short answer to the whole LLM_MAX_TOKENS.
    const messages = chatMessages(request);
    const promptTokens = messages.reduce((sum, message) => sum + countTokens(message.content) + 4, 3) + SCHEMA_TOKENS;
    const completionTokens = 20 + Math.floor(next() * (MAX_TOKENS - 20));
    const at = Date.now();
    calls.push({
      at,
      usd: (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6,
    });
    return {
      content: '{"alerts":[]}',
      firstTokenDelayMs: 100 + Math.floor(next() * 400),
      usage: { promptTokens, completionTokens },
    };
  },
});

function startAnalyzer(namespace, index) {
  const env = {
    REDIS_URL: redisServer.url,
    TURBOSTREAM_NAMESPACE: namespace,
    TURBOSTREAM_INSTANCE_ID: `analyzer-${index}`,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: llm.url,
    ANALYZER_CONCURRENCY: String(concurrency),
    LLM_MAX_TOKENS: String(MAX_TOKENS),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  return startAnalyzerProcess(env);
}

const namespace = 'budgetbench';
const keys = createKeyLayout(namespace);
const connection = redisServer.client();
const queue = new Queue(analysisQueueName(TARGET.provider), { connection, prefix: keys.queuePrefix });
const analyzers = [];
try {
  console.log(
    `budgets across replicas: ${replicas} analyzer processes × ANALYZER_CONCURRENCY=${concurrency}, ${windows} ` +
      `windows of 20 messages for ${TARGET.provider}/${TARGET.model} ($${price.inputPerMTok} in, ` +
      `$${price.outputPerMTok} out per million tokens), fake answering in 100-500 ms with 20-${MAX_TOKENS} output ` +
      `tokens, stream budget $${budgetUsd} a day; ${availableParallelism()} cores`,
  );
  await queue.pause();
  const jobs = [];
  for (let offset = 0; offset < windows; offset += 500) {
    const batch = backlogJobs({
      count: Math.min(500, windows - offset),
      messages: 20,
      target: TARGET,
      streamId: STREAM,
      startMs: 1_700_000_000_000 + offset * 20,
    });
    for (const job of batch) job.data.budget = { usdPerDay: budgetUsd };
    await queue.addBulk(batch);
    jobs.push(...batch);
  }
  for (let index = 1; index <= replicas; index += 1) analyzers.push(startAnalyzer(namespace, index));
  await waitFor(async () => (await redis.zcard(keys.providerAnalyzers(TARGET.provider))) === replicas, {
    timeoutMs: 60_000,
    description: `${replicas} analyzers serving ${TARGET.provider}`,
  });
  const startedAt = Date.now();
  await queue.resume();
  // Done when every window is either analysed or waiting for tomorrow, and no call is in flight.
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts('completed', 'delayed', 'active', 'waiting', 'failed');
      return (
        counts.active === 0 && counts.waiting === 0 && counts.completed + counts.delayed + counts.failed === windows
      );
    },
    { timeoutMs: 600_000, intervalMs: 100, description: 'every window analysed or waiting for the budget' },
  );
  const seconds = (Date.now() - startedAt) / 1000;
  const counts = await queue.getJobCounts('completed', 'delayed', 'failed');
  const ledger = await redis.hgetall(keys.budget(`stream:${STREAM}`));
  const day = Math.floor(Date.now() / 86_400_000);
  const exhaustedAt = ledger[`x:usd:${day}`] === undefined ? undefined : Number(ledger[`x:usd:${day}`]);
  // Calls admitted (reserved) after the budget ran out: the ledger counts reservations, and noted the count then.
  const reservedAfter =
    exhaustedAt === undefined ? 0 : Number(ledger[`calls:${day}`] ?? 0) - Number(ledger[`x:calls:${day}`] ?? 0);
  const spent = calls.reduce((sum, call) => sum + call.usd, 0);
  // Calls the fake received after that moment: reserved before it, their requests still on the way.
  const arrivedAfter = exhaustedAt === undefined ? [] : calls.filter((call) => call.at > exhaustedAt);
  const latestMs = Math.max(0, ...arrivedAfter.map((call) => call.at - (exhaustedAt ?? 0)));
  const overshoot = Math.max(0, spent - budgetUsd);
  const percent = (100 * overshoot) / budgetUsd;
  const row = [
    `$${budgetUsd}`,
    `$${spent.toFixed(4)}`,
    `${((100 * spent) / budgetUsd).toFixed(1)} %`,
    `$${overshoot.toFixed(4)} (${percent.toFixed(2)} %)`,
    calls.length,
    reservedAfter,
    `${arrivedAfter.length} (≤ ${latestMs} ms late)`,
    counts.completed,
    counts.delayed,
    counts.failed,
    seconds.toFixed(1),
  ];
  const header = [
    'budget',
    'spent',
    'of budget',
    'overshoot',
    'calls',
    'calls started after exhaustion',
    'requests received after it',
    'analysed',
    'waiting',
    'failed',
    'seconds',
  ];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n| ${row.join(' | ')} |`);
  console.log(
    `\nspent: the fake's own usage of every call × the price; exhausted at ${exhaustedAt === undefined ? 'never (the budget did not run out: raise --windows or lower --budget)' : new Date(exhaustedAt).toISOString()}` +
      ` (Redis time, from the ledger), ${(((exhaustedAt ?? startedAt) - startedAt) / 1000).toFixed(1)} s into the run.` +
      `\ncalls started after exhaustion: reservations the ledger made after it refused the first (it counts them); ` +
      `requests received after it: calls reserved before, whose HTTP request reached the fake after that moment.` +
      `\ngoals: overshoot ≤ 1 % of the budget — ${percent <= 1 ? 'met' : 'MISSED'}; zero calls started after ` +
      `exhaustion — ${reservedAfter === 0 ? 'met' : 'MISSED'}`,
  );
} catch (error) {
  for (const [index, analyzer] of analyzers.entries())
    process.stderr.write(`analyzer-${index + 1}: ${analyzer.errors()}\n`);
  throw error;
} finally {
  await Promise.all(analyzers.map((analyzer) => analyzer.stop()));
  await queue.close();
  connection.disconnect();
  redis.disconnect();
  await llm.close();
  await redisServer.dispose();
}
