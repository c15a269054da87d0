// 429 isolation: the window latency of a healthy provider's stream, with and without a rate-limit storm
// on another provider, in the same run. Real processes (ingest, windower, one analyzer per provider, each
// holding only its provider's key), real Redis, loopback fakes of OpenAI (the storm) and Anthropic (healthy).
// Run with `npm run bench:isolation` (builds first), or `node bench/isolation.mjs --seconds 20` after a build.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { anthropicMessages, chatMessages, RedisServer, startFakeAnthropic, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { WebSocketServer } from 'ws';
import { CLI_MAIN, cliNodeFlags } from '../apps/cli/dist/node-flags.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rate: { type: 'string', default: '20' }, latency: { type: 'string', default: '300' } } });
const seconds = Number(values.seconds);
const rate = Number(values.rate);
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

const percentile = (list, p) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))];
const answer = (prompt) => {
  const id = [...new Set(prompt.match(/\b\d{13}-\d+\b/g) ?? [])].sort()[0];
  return JSON.stringify({ alerts: id ? [{ severity: 'info', title: `window ${id}`, summary: 'seen', evidence: [id] }] : [] });
};

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
      return { status: 429, headers: { 'retry-after': '1' }, error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } };
    }
    return { content: answer(chatMessages(request).find((message) => message.role === 'user')?.content ?? ''), firstTokenDelayMs: llmLatencyMs };
  },
});
const anthropic = await startFakeAnthropic({ handler: (request) => ({ content: answer(anthropicMessages(request).find((message) => message.role === 'user')?.content ?? ''), firstTokenDelayMs: llmLatencyMs }) });
const alpha = await source();
const beta = await source();
const cwd = mkdtempSync(join(tmpdir(), 'turbostream-isolation-'));
writeFileSync(
  join(cwd, 'streams.yaml'),
  `streams:\n  - { id: alpha, source: { url: ${alpha.url} }, window: { maxMessages: 500, maxSeconds: 1 }, analysis: { provider: openai, model: gpt-storm } }\n` +
    `  - { id: beta, source: { url: ${beta.url} }, window: { maxMessages: 500, maxSeconds: 1 }, analysis: { provider: anthropic, model: claude-healthy } }\n`,
);
const env = { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: redisServer.url, TURBOSTREAM_NAMESPACE: NAMESPACE, TURBOSTREAM_ENV_FILE: join(cwd, 'none'), OPENAI_BASE_URL: openai.url, ANTHROPIC_BASE_URL: anthropic.url, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', WINDOWER_POLL_MS: '50' };
const children = [
  ['analyzer', { TURBOSTREAM_INSTANCE_ID: 'analyzer-openai', OPENAI_API_KEY: 'sk-bench-openai-0123456789' }],
  ['analyzer', { TURBOSTREAM_INSTANCE_ID: 'analyzer-anthropic', ANTHROPIC_API_KEY: 'sk-ant-bench-0123456789' }],
  ['windower', {}],
  ['ingest', {}],
].map(([command, extra]) => spawn(process.execPath, [...cliNodeFlags(), cli, command], { cwd, env: { ...env, ...extra }, stdio: 'ignore' }));

try {
  await waitFor(() => alpha.server.clients.size === 1 && beta.server.clients.size === 1, { timeoutMs: 20_000, description: 'ingest connected' });
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
    const latencies = alerts.filter((alert) => alert.streamId === 'beta' && alert.receivedAt >= startedAt).map((alert) => alert.receivedAt - Date.parse(alert.window.to));
    const alphaDone = alerts.filter((alert) => alert.streamId === 'alpha' && alert.receivedAt >= startedAt).length;
    return { name, latencies, alphaDone };
  };
  const baseline = await phase('no storm');
  storm = true;
  const stormy = await phase('openai 429 storm');
  storm = false;
  const row = ({ name, latencies, alphaDone }) =>
    `${name.padEnd(18)} ${String(latencies.length).padStart(8)} ${String(percentile(latencies, 50)).padStart(8)} ${String(percentile(latencies, 95)).padStart(8)} ${String(Math.max(...latencies)).padStart(8)} ${String(alphaDone).padStart(14)}`;
  console.log(`429 isolation: ${seconds} s per phase, ${rate} messages/s per stream, windows of 1 s, fake LLM first token after ${llmLatencyMs} ms`);
  console.log('beta (anthropic, healthy): window close → alert received, ms');
  console.log(`${'phase'.padEnd(18)} ${'windows'.padStart(8)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'alpha alerts'.padStart(14)}`);
  console.log(row(baseline));
  console.log(row(stormy));
  console.log(`ratio p50 storm / no storm: ${(percentile(stormy.latencies, 50) / percentile(baseline.latencies, 50)).toFixed(2)}×; openai answered 429 to ${stormRequests} requests during the storm (Retry-After 1 s)`);
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
