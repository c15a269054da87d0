/**
 * Text from feeds and models on its way to a terminal (issue 8). A feed
 * message or a model answer may hold `ESC[2J ESC[H` (clear screen), BEL,
 * `ESC]0;title BEL` (window title), C1 CSI, DEL, a right-to-left override or
 * a line separator: `turbostream alerts` and `turbostream up` show them
 * escaped, as alerts (readable on a terminal, JSON lines otherwise) and in
 * their logs, while the alert log and the alerts channel keep the text as it
 * came, byte for byte.
 *
 * A terminal is given by `script` (util-linux), which runs the command on a
 * pseudo-terminal: only there are alerts and logs written for people.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert } from '@turbostream/contracts';
import { TERMINAL_UNSAFE } from '@turbostream/logging';
import { AlertPublisher, createKeyLayout } from '@turbostream/redis';
import { type RedisServer, sampleAlert, startFakeOpenAI, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSource } from './support/fake-source.js';
import { assertCliBuilt, CliRun } from './support/service-process.js';
import { firstRef, windowOf } from './support/window-answers.js';

/** Clear screen, cursor home, bell, window title, C1 CSI, DEL, right-to-left override, line separator. */
const HOSTILE = '\u001b[2J\u001b[H\u0007\u001b]0;pwned\u0007\u009b31m\u007f\u202e\u2028';
/** The same, as a terminal shows it. */
const SHOWN = '\\x1b[2J\\x1b[H\\x07\\x1b]0;pwned\\x07\\x9b31m\\x7f\\u202e\\u2028';
/** The colours turbostream and pino-pretty add themselves (SGR); the hostile text holds none. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching colour sequences is the point
const OWN_COLOURS = /\u001b\[[0-9;]*m/g;

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-escapes-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** What a terminal was given, less the colours turbostream adds, line by line (a pseudo-terminal writes CR LF). */
function terminalLines(output: string): string[] {
  return output.replace(OWN_COLOURS, '').replaceAll('\r\n', '\n').split('\n');
}

/** Fails naming the first line that holds a character a terminal acts on. */
function expectNothingRaw(output: string): void {
  const raw = terminalLines(output).filter((line) => TERMINAL_UNSAFE.test(line));
  expect(raw.map((line) => JSON.stringify(line))).toEqual([]);
}

async function dumpOnFailure<T>(processes: CliRun[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    for (const command of processes)
      process.stderr.write(
        `\n----- ${command.child.spawnargs.join(' ')} ` +
          `-----\n${JSON.stringify((command.stdout + command.stderr).slice(-6000))}\n`,
      );
    throw error;
  }
}

describe('control characters from feeds and models, on a terminal', () => {
  let server: RedisServer;
  let redis: Redis;
  let subscriber: Redis;
  const onChannel: string[] = [];

  redisTest.beforeAll(async ({ server: fileServer }) => {
    assertCliBuilt();
    server = fileServer;
    redis = server.client();
    subscriber = server.client();
    subscriber.on('message', (_channel: string, message: string) => onChannel.push(message));
    await subscriber.subscribe('escapes:alerts', 'escapes-up:alerts');
  });

  afterAll(async () => {
    subscriber?.disconnect();
    redis?.disconnect();
  });

  describe('turbostream alerts', () => {
    const keys = createKeyLayout('escapes');
    const env = (namespace: string) => ({ REDIS_URL: server.url, TURBOSTREAM_NAMESPACE: namespace, LOG_LEVEL: 'warn' });
    const hostileAlert = (n: number) =>
      sampleAlert({
        id: `s1.${n}-0.heuristic.mad.0`,
        windowId: `${n}-0`,
        title: `title ${n} ${HOSTILE}`,
        summary: `summary ${n} ${HOSTILE}\nsecond line`,
        evidence: [`${n}-0${HOSTILE}`],
        model: `mad${HOSTILE}`,
      });

    it(
      'prints JSON lines (standard output a pipe) with controls escaped, parsing back to the alerts, which are ' +
        'stored as published',
      async () => {
        const publisher = new AlertPublisher({ redis, keys });
        const [logged, live] = [hostileAlert(1), hostileAlert(2)];
        await publisher.publish(logged);
        const follower = new CliRun(['alerts', '--replay', '1'], {
          cwd: workspace(),
          env: env('escapes'),
          tty: false,
        });
        try {
          await dumpOnFailure([follower], async () => {
            await waitFor(() => follower.stderr.includes(' in escapes:alerts:log on '), {
              timeoutMs: 20_000,
              description: '`turbostream alerts` following the alert log',
            });
            await publisher.publish(live);
            await waitFor(() => follower.stdout.split('\n').length > 2, {
              timeoutMs: 10_000,
              description: 'the two alerts printed',
            });
            const lines = follower.stdout.trimEnd().split('\n');
            expect(lines).toHaveLength(2);
            for (const line of lines) expect(line).not.toMatch(TERMINAL_UNSAFE);
            expect(lines.map((line) => JSON.parse(line))).toEqual([logged, live]);
            expect(lines[0]).toContain(
              `"title":"title 1 \\u001b[2J\\u001b[H\\u0007\\u001b]0;pwned\\u0007\\u009b31m\\u007f\\u202e\\u2028"`,
            );
            // Stored as published: the durable log and the channel hold the alert's own JSON, controls raw.
            const [[, fields = []] = []] = await redis.xrange(keys.alertLog, '-', '+');
            expect(fields).toEqual(['alert', JSON.stringify(logged)]);
            await waitFor(() => onChannel.includes(JSON.stringify(live)), {
              timeoutMs: 5_000,
              description: 'the live alert on the channel',
            });
          });
        } finally {
          await follower.stop();
        }
      },
    );

    it.skipIf(!hasScript)(
      'prints readable alerts on a terminal with controls shown, not obeyed, and JSON lines there with --json',
      async () => {
        const publisher = new AlertPublisher({ redis, keys: createKeyLayout('escapes-tty') });
        for (const alert of [hostileAlert(1), hostileAlert(2)]) await publisher.publish(alert);
        const human = new CliRun(['alerts', '--replay', '2'], {
          cwd: workspace(),
          env: env('escapes-tty'),
          tty: true,
        });
        const json = new CliRun(['alerts', '--replay', '2', '--json'], {
          cwd: workspace(),
          env: env('escapes-tty'),
          tty: true,
        });
        try {
          await dumpOnFailure([human, json], async () => {
            await waitFor(
              () =>
                human.stdout.includes(' in escapes-tty:alerts:log on ') &&
                json.stdout.includes(' in escapes-tty:alerts:log on '),
              { timeoutMs: 20_000, description: 'both followers on a terminal' },
            );
            expectNothingRaw(human.stdout);
            const shown = terminalLines(human.stdout);
            expect(shown).toContain(`00:00:02 WARNING  s1  title 1 ${SHOWN}`);
            expect(shown).toContain(`         summary 2 ${SHOWN}\\nsecond line`);
            expect(
              shown.some(
                (line) => line.includes(`heuristic/mad${SHOWN}  window 2-0`) && line.endsWith(`evidence 2-0${SHOWN}`),
              ),
            ).toBe(true);
            expectNothingRaw(json.stdout);
            const alerts = terminalLines(json.stdout).filter((line) => line.startsWith('{'));
            expect(alerts.map((line) => JSON.parse(line))).toEqual([hostileAlert(1), hostileAlert(2)]);
          });
        } finally {
          await Promise.all([human.stop(), json.stop()]);
        }
      },
    );
  });

  it.skipIf(!hasScript)(
    'turbostream up on a terminal: feed text quoted by the heuristic provider, model text in alerts and logs, ' +
      'all shown escaped',
    async () => {
      const source = await FakeSource.start();
      // The first window the model is asked about gets an answer that is not JSON, twice (with the repair): an error in
      // the log quoting it.
      let doomed: string | undefined;
      const llm = await startFakeOpenAI({
        apiKey: 'sk-escapes-0123456789',
        handler: (request) => {
          const prompt = JSON.stringify(request.body);
          const windowId = windowOf(prompt);
          doomed ??= windowId;
          if (windowId === doomed) return { content: `not JSON: ${HOSTILE}` };
          return {
            content: JSON.stringify({
              alerts: windowId
                ? [
                    {
                      severity: 'critical',
                      title: `model says ${HOSTILE}`,
                      summary: `because ${HOSTILE}\nfake line`,
                      evidence: [firstRef(prompt) ?? ''],
                    },
                  ]
                : [],
            }),
          };
        },
      });
      const cwd = workspace({
        'streams.yaml': [
          'streams:',
          '  - id: feed-errors',
          `    source: { url: ${source.url} }`,
          '    window: { maxMessages: 5, maxSeconds: 1 }',
          '    analysis: { provider: heuristic }',
          '  - id: model-text',
          `    source: { url: ${source.url} }`,
          '    window: { maxMessages: 5, maxSeconds: 1 }',
          '    analysis: { provider: openai, model: gpt-escapes }',
          '',
        ].join('\n'),
      });
      const up = new CliRun(['up'], {
        cwd,
        tty: true,
        env: {
          REDIS_URL: server.url,
          TURBOSTREAM_NAMESPACE: 'escapes-up',
          OPENAI_API_KEY: 'sk-escapes-0123456789',
          OPENAI_BASE_URL: llm.url,
          WINDOWER_POLL_MS: '50',
        },
      });
      const sending = setInterval(
        () => void source.send(JSON.stringify({ level: 'error', message: `disk full ${HOSTILE}` })).catch(() => {}),
        100,
      );
      try {
        await dumpOnFailure([up], async () => {
          const published = () => onChannel.map((message) => Alert.parse(JSON.parse(message)));
          await waitFor(
            () =>
              published().some((alert) => alert.streamId === 'feed-errors') &&
              published().some((alert) => alert.streamId === 'model-text'),
            {
              timeoutMs: 40_000,
              intervalMs: 100,
              description: 'an alert from each stream on escapes-up:alerts',
            },
          );
          await waitFor(
            () =>
              up.stdout.includes('analysis failed for good') &&
              up.stdout.includes('error-level messages') &&
              up.stdout.includes('model says'),
            {
              timeoutMs: 20_000,
              description: 'both alerts and the failed analysis on the terminal',
            },
          );
          // Stored as they came: the heuristic quotes the feed, the alert keeps the model's words.
          const fromFeed = published().find((alert) => alert.streamId === 'feed-errors');
          expect(fromFeed?.summary).toContain(
            '"disk full \u001b[2J\u001b[H\u0007\u001b]0;pwned\u0007\u009b31m\u007f\u202e',
          );
          const fromModel = published().find((alert) => alert.streamId === 'model-text');
          expect(fromModel).toMatchObject({ title: `model says ${HOSTILE}`, summary: `because ${HOSTILE}\nfake line` });

          expectNothingRaw(up.stdout);
          const shown = terminalLines(up.stdout);
          expect(
            shown.some((line) =>
              line.includes('"disk full \\x1b[2J\\x1b[H\\x07\\x1b]0;pwned\\x07\\x9b31m\\x7f\\u202e'),
            ),
          ).toBe(true);
          expect(shown.some((line) => line.endsWith(`model-text  model says ${SHOWN}`))).toBe(true);
          expect(shown).toContain(`         because ${SHOWN}\\nfake line`);
          // The failed analysis is logged with the error, which quotes the model's answer: escaped too.
          expect(shown.some((line) => line.includes('WARN') && line.includes('analysis failed for good'))).toBe(true);
          expect(
            shown.some(
              (line) => line.includes('answered with text that is not JSON') && line.includes('\\x9b31m\\x7f\\u202e'),
            ),
          ).toBe(true);
          expect(shown.some((line) => line.startsWith('fake line'))).toBe(false);
        });
      } finally {
        clearInterval(sending);
        await up.stop();
        await source.close();
        await llm.close();
      }
    },
    90_000,
  );
});
