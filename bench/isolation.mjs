// 429 isolation: the window latency of a healthy provider's stream, with and without a rate-limit storm
// on another provider, in the same run, at several window rates. Real processes (ingest, windower, one
// analyzer per provider, each holding only its provider's key), real Redis, loopback fakes of OpenAI (the
// storm: 429 with Retry-After: 1) and Anthropic (healthy). Per rate: beta's p50/p95 calm vs storm and the
// requests OpenAI got per Retry-After period during the storm.
// Run with `npm run bench:isolation` (builds first; rates 1, 2 and 10 windows/s), or after a build
// `node bench/isolation.mjs --rates 1,2,10 --seconds 10 --rate 20 --latency 300`.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  anthropicMessages,
  chatMessages,
  RedisServer,
  startFakeAnthropic,
  startFakeOpenAI,
  waitFor,
} from '@turbostream/testkit';
import { WebSocketServer } from 'ws';
import { CLI_MAIN, cliNodeFlags } from '../apps/cli/dist/node-flags.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '20' },
    rates: { type: 'string', default: '1,2,10' },
    latency: { type: 'string', default: '300' },
  },
});
const seconds = Number(values.seconds);
/** Messages per second per stream. */
const rate = Number(values.rate);
/** Windows per second per stream: each closes after rate / windowsPerSecond messages (or 1 s). */
const windowRates = values.rates.split(',').map(Number);
const llmLatencyMs = Number(values.latency);
const cli = CLI_MAIN;
const NAMESPACE = 'isolation';

async function source() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const send = (text) => {
    for (const client of server.clients) client.send(text);
  };
  return { server, url: `ws://127.0.0.1:${server.address().port}`, send };
}

const percentile = (list, p) =>
  [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))];
/** One alert about the window (its id from the prompt's header), citing its first row by the ref the prompt shows. */
const answer = (prompt) => {
  const id = [...new Set(prompt.match(/\b\d{13}-\d+\b/g) ?? [])].sort()[0];
  const ref = /<stream_data>\n#,[^\n]*\n(\d+),/.exec(prompt)?.[1];
  return JSON.stringify({
    alerts: id && ref ? [{ severity: 'info', title: `window ${id}`, summary: 'seen', evidence: [ref] }] : [],
  });
};

async function run(windowsPerSecond) {
  const maxMessages = Math.max(1, Math.round(rate / windowsPerSecond));
  const redisServer = await RedisServer.start();
  const subscriber = redisServer.client();
  const alerts = [];
  subscriber.on('message', (_channel, message) => alerts.push({ ...JSON.parse(message), receivedAt: Date.now() }));
  await subscriber.subscribe(`${NAMESPACE}:alerts`);
  let storm = false;
  let stormRequests = 0;
  const openai = await startFakeOpenAI({
    handler: (request) => {
      if (storm) {
        stormRequests += 1;
        return {
          status: 429,
          headers: { 'retry-after': '1' },
          error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
        };
      }
      return {
        content: answer(chatMessages(request).find((message) => message.role === 'user')?.content ?? ''),
        firstTokenDelayMs: llmLatencyMs,
      };
    },
  });
  const anthropic = await startFakeAnthropic({
    handler: (request) => ({
      content: answer(anthropicMessages(request).find((message) => message.role === 'user')?.content ?? ''),
      firstTokenDelayMs: llmLatencyMs,
    }),
  });
  const alpha = await source();
  const beta = await source();
  const cwd = mkdtempSync(join(tmpdir(), 'turbostream-isolation-'));
  writeFileSync(
    join(cwd, 'streams.yaml'),
    `streams:\n  - { id: alpha, source: { url: ${alpha.url} }, window: { maxMessages: ${maxMessages}, ` +
      `maxSeconds: 1 }, analysis: { provider: openai, model: gpt-storm } }\n` +
      `  - { id: beta, source: { url: ${beta.url} }, window: { maxMessages: ${maxMessages}, maxSeconds: 1 }, ` +
      `analysis: { provider: anthropic, model: claude-healthy } }\n`,
  );
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REDIS_URL: redisServer.url,
    TURBOSTREAM_NAMESPACE: NAMESPACE,
    TURBOSTREAM_ENV_FILE: '/dev/null',
    OPENAI_BASE_URL: openai.url,
    ANTHROPIC_BASE_URL: anthropic.url,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    WINDOWER_POLL_MS: '50',
  };
  const children = [
    ['analyzer', { TURBOSTREAM_INSTANCE_ID: 'analyzer-openai', OPENAI_API_KEY: 'sk-bench-openai-0123456789' }],
    ['analyzer', { TURBOSTREAM_INSTANCE_ID: 'analyzer-anthropic', ANTHROPIC_API_KEY: 'sk-ant-bench-0123456789' }],
    ['windower', {}],
    ['ingest', {}],
  ].map(([command, extra]) =>
    spawn(process.execPath, [...cliNodeFlags(), cli, command], { cwd, env: { ...env, ...extra }, stdio: 'ignore' }),
  );

  try {
    await waitFor(() => alpha.server.clients.size === 1 && beta.server.clients.size === 1, {
      timeoutMs: 20_000,
      description: 'ingest connected',
    });
    const phase = async (name) => {
      const startedAt = Date.now();
      let n = 0;
      while (Date.now() - startedAt < seconds * 1000) {
        alpha.send(JSON.stringify({ n, stream: 'alpha' }));
        beta.send(JSON.stringify({ n, stream: 'beta' }));
        n += 1;
        await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
      }
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const latencies = alerts
        .filter((alert) => alert.streamId === 'beta' && alert.receivedAt >= startedAt)
        .map((alert) => alert.receivedAt - Date.parse(alert.window.to));
      const alphaDone = alerts.filter((alert) => alert.streamId === 'alpha' && alert.receivedAt >= startedAt).length;
      return { name, latencies, alphaDone };
    };
    const calm = await phase('no storm');
    storm = true;
    const stormStart = Date.now();
    const stormy = await phase('openai 429 storm');
    const stormSeconds = (Date.now() - stormStart) / 1000;
    storm = false;
    return { windowsPerSecond, calm, stormy, stormRequests, perRetryAfter: stormRequests / stormSeconds };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    subscriber.disconnect();
    alpha.server.close();
    beta.server.close();
    await openai.close();
    await anthropic.close();
    await redisServer.dispose();
  }
}

const ms = (list, p) => (list.length ? `${percentile(list, p)}` : '—');
console.log(
  `429 isolation: ${seconds} s per phase, ${rate} messages/s per stream, fake LLM first token ` +
    `after ${llmLatencyMs} ms, storm = OpenAI answers 429 with Retry-After: 1`,
);
console.log(
  'beta (anthropic, healthy): window close → alert received, ms; openai: requests per Retry-After period during ' +
    'the storm',
);
const header = [
  'windows/s',
  'beta windows calm/storm',
  'p50 calm',
  'p50 storm',
  'p50 ratio',
  'p95 calm',
  'p95 storm',
  'p95 ratio',
  'alpha alerts calm/storm',
  'openai req / Retry-After',
];
console.log(header.join(' | '));
for (const windowsPerSecond of windowRates) {
  const { calm, stormy, perRetryAfter } = await run(windowsPerSecond);
  const ratio = (p) => (percentile(stormy.latencies, p) / percentile(calm.latencies, p)).toFixed(2);
  console.log(
    [
      windowsPerSecond,
      `${calm.latencies.length}/${stormy.latencies.length}`,
      ms(calm.latencies, 50),
      ms(stormy.latencies, 50),
      ratio(50),
      ms(calm.latencies, 95),
      ms(stormy.latencies, 95),
      ratio(95),
      `${calm.alphaDone}/${stormy.alphaDone}`,
      perRetryAfter.toFixed(2),
    ].join(' | '),
  );
}
