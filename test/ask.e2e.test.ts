/**
 * `turbostream ask <stream> "question"` as users run it (issue 13): the built
 * CLI against a real Redis holding the stream's messages (as ingest writes
 * them) and a loopback fake of OpenAI. The answer streams to standard output
 * as the model writes it, escaped for the terminal; standard error says what
 * was asked and ends with the figures of the call.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TERMINAL_UNSAFE } from '@turbostream/logging';
import { createKeyLayout } from '@turbostream/redis';
import { chatMessages, type FakeOpenAI, type RedisServer, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest, uniqueNamespace } from '@turbostream/testkit/redis-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CliRun } from './support/service-process.js';

const KEY = 'sk-ask-e2e-0123456789abcdefghij';
const BASE = 1_764_504_000_000;
const QUESTION = 'Was there a price spike, and when?';

const STREAMS_YAML = `streams:
  - id: btc
    source: { url: "wss://example.com/btc" }
    analysis: { provider: openai, model: gpt-4.1-mini }
  - id: quiet
    source: { url: "wss://example.com/quiet" }
    analysis: { provider: heuristic }
  - id: elsewhere
    source: { url: "wss://example.com/elsewhere" }
    analysis: { provider: gemini, model: gemini-2.5-flash }
`;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-ask-'));
  writeFileSync(join(dir, 'streams.yaml'), STREAMS_YAML);
  return dir;
}

describe('turbostream ask', () => {
  let server: RedisServer;
  let fake: FakeOpenAI;
  let cwd: string;
  let namespace: string;

  redisTest.beforeAll(async ({ server: fileServer }) => {
    server = fileServer;
    namespace = uniqueNamespace();
    const keys = createKeyLayout(namespace);
    const redis = server.client();
    // 400 trades as ingest writes them (the spike at seq 390), a gap, and a stream only Redis knows.
    for (let seq = 0; seq < 400; seq += 1) {
      const price = seq === 390 ? '64210.00' : (61_200 + (seq % 7)).toFixed(2);
      await redis.xadd(
        keys.messages('btc'),
        `${BASE + seq * 100}-0`,
        'kind',
        'message',
        'data',
        JSON.stringify({ type: 'trade', seq, price }),
        'receivedAt',
        BASE + seq * 100,
      );
    }
    await redis.xadd(
      keys.messages('btc'),
      `${BASE + 40_000}-0`,
      'kind',
      'gap',
      'reason',
      'reconnect',
      'receivedAt',
      BASE + 40_000,
      'downMs',
      1500,
    );
    await redis.xadd(
      keys.messages('only-in-redis'),
      `${BASE}-0`,
      'kind',
      'message',
      'data',
      'hello',
      'receivedAt',
      BASE,
    );
    await redis.xadd(keys.messages('elsewhere'), `${BASE}-0`, 'kind', 'message', 'data', '{"a":1}', 'receivedAt', BASE);
    redis.disconnect();
    cwd = workspace();
  });

  beforeAll(async () => {
    assertCliBuilt();
    fake = await startFakeOpenAI({ apiKey: KEY });
  });

  afterAll(async () => {
    await fake?.close();
  });

  const ask = (args: string[]) =>
    new CliRun(['ask', ...args], {
      cwd,
      env: {
        REDIS_URL: server.url,
        TURBOSTREAM_NAMESPACE: namespace,
        OPENAI_API_KEY: KEY,
        OPENAI_BASE_URL: fake.url,
      },
    });

  it('streams the answer to standard output as the model writes it, then the figures of the call', async () => {
    const pieces = ['Yes: ', 'one spike, ', 'at #91 ', '(64210.00, seq 390),\n', 'then back to 61200.'];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let lastSent = false;
    /** Everything before the last piece: the fake holds the last piece back until the test has seen this printed. */
    const before = pieces.slice(0, -1).join('');
    // One delta a character.
    fake.setHandler(() => ({
      content: pieces.join(''),
      chunkSize: 1,
      usage: { promptTokens: 1500, completionTokens: 12, cachedTokens: 1024 },
      beforeChunk: async (index) => {
        if (index === before.length) {
          await held;
          lastSent = true;
        }
      },
    }));
    fake.requests.length = 0;
    const run = ask(['btc', QUESTION, '--max-tokens-in', '1500']);
    // The answer's start is on standard output while the model still holds its last character back.
    await waitFor(() => run.stdout === before, { timeoutMs: 20_000, description: 'the answer so far on stdout' });
    expect(lastSent).toBe(false);
    expect(run.stderr).toMatch(/^asking openai\/gpt-4\.1-mini about the latest \d+ messages and 1 gap of btc \(/m);
    release();
    const { code, stdout, stderr } = await run.done();
    expect(code, stderr).toBe(0);
    expect(stdout).toBe(`${pieces.join('')}\n`);
    expect(stderr).toContain('older messages left out to fit --max-tokens-in 1,500');
    // gpt-4.1-mini: 476 uncached × $0.40 + 1024 cached × $0.10 + 12 out × $1.60 per million tokens.
    expect(stderr).toMatch(
      /\ntime to first token \d+ ms, total \d+ ms, tokens 1,500 in \(1,024 cached\) \/ 12 out, cost \$0\.000312\n$/,
    );
    // What the model was sent: the question as the user's, the newest messages fenced as data.
    const [system, user] = chatMessages(fake.requests[0] ?? { method: '', path: '', headers: {}, body: {} });
    expect(system?.content).toContain(`<user_question>\n${QUESTION}\n</user_question>`);
    expect(user?.content).toMatch(/^Stream: btc\n/);
    expect(user?.content).toContain('<stream_data>');
    expect(user?.content).toContain('[gap: reconnect, source down for 1500 ms; messages may be missing]');
    expect(user?.content).toContain('"64210.00"');
    expect(user?.content).toMatch(/,399,/);
    expect(user?.content).not.toMatch(/\n\d+,\d+,0,/);
  });

  it('shows terminal escapes in the answer escaped, and gives every event as JSON with --json', async () => {
    const hostile = 'Spike at #3.\u001b[2J\u001b]0;pwned\u0007\r\u202eevil\u009b31m\nDone.';
    fake.setHandler(() => ({ content: hostile, chunkSize: 4 }));
    const text = await ask(['btc', QUESTION]).done();
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('Spike at #3.\\x1b[2J\\x1b]0;pwned\\x07\\r\\u202eevil\\x9b31m\nDone.\n');
    for (const line of `${text.stdout}${text.stderr}`.split('\n')) expect(TERMINAL_UNSAFE.test(line), line).toBe(false);
    const json = await ask(['btc', QUESTION, '--json']).done();
    expect(json.code, json.stderr).toBe(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'context', streamId: 'btc', provider: 'openai', model: 'gpt-4.1-mini' });
    expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop', costUsd: expect.any(Number) });
    const tokens = events.filter((event) => event.type === 'token');
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.map((event) => event.text).join('')).toBe(hostile);
    expect(TERMINAL_UNSAFE.test(json.stdout.replaceAll('\n', ''))).toBe(false);
  });

  it('refuses an unconfigured provider naming its variable, an unknown stream, and the heuristic', async () => {
    const named = await ask(['btc', QUESTION, '--provider', 'anthropic', '--model', 'claude-haiku-4-5']).done();
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('provider anthropic is not configured: set ANTHROPIC_API_KEY');
    const own = await ask(['elsewhere', QUESTION]).done();
    expect(own.code).toBe(2);
    expect(own.stderr).toContain('provider gemini is not configured: set GOOGLE_API_KEY');
    const unknown = await ask(['nope', QUESTION]).done();
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /no stream "nope" in \S*streams\.yaml, and no messages of it in Redis; known streams: btc, quiet, elsewhere/,
    );
    const heuristic = await ask(['quiet', QUESTION]).done();
    expect(heuristic.code).toBe(2);
    expect(heuristic.stderr).toContain('heuristic cannot answer questions');
    expect(heuristic.stderr).toContain("(it is the stream's own target)");
    expect(`${named.stdout}${own.stdout}${unknown.stdout}${heuristic.stdout}`).toBe('');
    expect(`${named.stderr}${own.stderr}${unknown.stderr}${heuristic.stderr}`).not.toContain(KEY);
  });

  it('prints its help, and refuses a missing question or a bad --max-tokens-in', async () => {
    const help = await ask(['--help']).done();
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: turbostream ask <stream> "question" [--provider P [--model M]]');
    expect((await ask(['btc']).done()).stderr).toContain('expected `turbostream ask <stream> "question"`');
    const bad = await ask(['btc', QUESTION, '--max-tokens-in', '0']).done();
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-tokens-in expects a number of tokens above 0');
  });

  it('asks about a stream only Redis knows with --provider, and maps a provider failure', async () => {
    fake.setHandler(() => ({ content: 'It says hello.' }));
    const bare = await ask(['only-in-redis', QUESTION]).done();
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('name a provider (--provider P [--model M])');
    const named = await ask(['only-in-redis', 'What does it say?', '--provider', 'openai', '--model', 'gpt-x']).done();
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toBe('It says hello.\n');
    expect(named.stderr).toContain('about the latest 1 message of only-in-redis');
    expect(named.stderr).toContain('no price for openai/gpt-x');
    fake.setHandler(() => ({
      status: 429,
      headers: { 'retry-after': '7' },
      error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
    }));
    const limited = await ask(['btc', QUESTION]).done();
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain('ask failed (rate-limited 429): ');
  });
});
