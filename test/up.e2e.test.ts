/**
 * `turbostream up` on its own Redis, as people run it from a terminal: with
 * REDIS_URL unset it starts a private redis-server on a predictable port,
 * prints the redis-cli line to watch alerts, and records itself under
 * `.turbostream/` so that `turbostream alerts` in the same directory follows
 * it with no flags; Ctrl-C (SIGINT to its process group) stops it within 3 s,
 * with no error output, the private redis-server last; a killed `up` leaves
 * its redis-server for the next one to reuse.
 *
 * On this machine and in CI a Redis answers at the default address
 * (127.0.0.1:6379), so these runs pass `--private-redis` (documented in
 * `up --help`: use a private redis-server even when one answers there) and
 * `--redis-port` with a free port, so that parallel runs do not meet.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert } from '@turbostream/contracts';
import { AlertPublisher, createKeyLayout } from '@turbostream/redis';
import { freePort, type RedisServer, redisServerOnPath, sampleAlert, waitFor } from '@turbostream/testkit';
import { redisTest } from '@turbostream/testkit/redis-test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI, cliNodeFlags } from './support/service-process.js';

/** The requirement: Ctrl-C to exit. */
const EXIT_WITHIN_MS = 3_000;

/** A `turbostream` process in a process group of its own, as a terminal starts one; its two outputs kept apart. */
class Cli {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout = '';
  stderr = '';

  constructor(
    readonly name: string,
    args: string[],
    cwd: string,
    env: Record<string, string> = {},
  ) {
    this.child = spawn(process.execPath, [...cliNodeFlags(), CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The signal to the whole process group, as a terminal sends Ctrl-C. */
  signalGroup(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal);
  }

  /** SIGINT to its group; resolves with the exit code and how long it took. */
  async interrupt(): Promise<{ code: number | null; tookMs: number }> {
    const sent = Date.now();
    this.signalGroup('SIGINT');
    const code = await this.exited;
    return { code, tookMs: Date.now() - sent };
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.signalGroup('SIGKILL');
    await this.exited;
  }

  /** Standard output's complete lines. */
  lines(): string[] {
    return this.stdout.split('\n').slice(0, -1);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

const redisCliOnPath = () => spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
const workspace = () => mkdtempSync(join(tmpdir(), 'turbostream-up-'));
const record = (cwd: string) => JSON.parse(readFileSync(join(cwd, '.turbostream', 'up.json'), 'utf8'));
const isAlertLine = (line: string) => {
  try {
    return Alert.safeParse(JSON.parse(line)).success;
  } catch {
    return false;
  }
};

/** Error output: a warn/error/fatal log line, a stack frame, a lost Redis. */
function errorOutput(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(
      (line) =>
        /"level":(4|5|6)\d/.test(line) ||
        /^\s+at /.test(line) ||
        /ECONNREFUSED|redis connection error|Error:/.test(line),
    );
}

describe.skipIf(!redisServerOnPath())('turbostream up with a private redis-server', () => {
  const started: Cli[] = [];
  const redisPids: number[] = [];
  const cli = (name: string, args: string[], cwd: string, env?: Record<string, string>) => {
    const each = new Cli(name, args, cwd, env);
    started.push(each);
    return each;
  };
  const dumpOnFailure = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      for (const each of started)
        process.stderr.write(
          `\n----- ${each.name} stdout -----\n${each.stdout.slice(-4000)}\n----- ${each.name} stderr ` +
            `-----\n${each.stderr.slice(-8000)}\n`,
        );
      throw error;
    }
  };

  beforeAll(() => assertCliBuilt());
  afterAll(async () => {
    for (const each of started) await each.kill();
    for (const pid of redisPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('names its port and the redis-cli line, is followed by `alerts` with no flags, and stops within 3 s of ' +
    'Ctrl-C, the redis-server last', async () => {
    await dumpOnFailure(async () => {
      const cwd = workspace();
      const port = await freePort();
      const up = cli('up', ['up', '--private-redis', '--redis-port', String(port)], cwd);
      const watchLine = `redis-cli -p ${port} SUBSCRIBE turbostream:alerts`;
      await waitFor(() => up.stderr.includes('npx turbostream alerts'), {
        timeoutMs: 30_000,
        description: 'the banner of turbostream up',
      });
      expect(up.stderr).toContain(`--private-redis: started a private redis-server on port ${port}`);
      expect(up.stderr).toContain(`turbostream:   ${watchLine}\n`);

      const instance = record(cwd);
      expect(instance).toMatchObject({
        v: 1,
        command: 'up',
        pid: up.pid,
        namespace: 'turbostream',
        redis: { url: `redis://127.0.0.1:${port}`, source: 'private', port },
      });
      const redisPid: number = instance.redis.pid;
      redisPids.push(redisPid);
      expect(alive(redisPid)).toBe(true);

      // Another up in the same directory is turned away while this one runs.
      const second = cli('second up', ['up'], cwd);
      expect(await second.exited).toBe(75);
      expect(second.stderr).toContain(`turbostream up already runs in this directory (pid ${up.pid}`);

      // No flags, no REDIS_URL: `alerts` finds the private redis-server through .turbostream/up.json.
      // Its standard output is a pipe: JSON lines, as with --json.
      const follower = cli('alerts', ['alerts'], cwd);
      // The printed line works as printed (where redis-cli is installed).
      const [command = 'redis-cli', ...args] = watchLine.split(' ');
      const redisCli = redisCliOnPath() ? spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] }) : undefined;
      let watched = '';
      redisCli?.stdout?.on('data', (chunk: Buffer) => {
        watched += chunk.toString();
      });
      try {
        // So do `providers` (and `streams`): the analyzer of up, in its namespace, serves the heuristic provider.
        const providers = cli('providers', ['providers'], cwd);
        expect(await providers.exited).toBe(0);
        expect(providers.stderr).toContain(
          `using the private redis-server of turbostream up in this directory: redis://127.0.0.1:${port}, ` +
            `namespace turbostream`,
        );
        expect(providers.stdout).toMatch(/^heuristic {5}configured.*\n {14}live analyzers serving it: 1$/m);

        await waitFor(() => follower.lines().some((line) => JSON.parse(line).streamId === 'demo-market'), {
          timeoutMs: 30_000,
          description: 'a demo alert followed by `turbostream alerts`',
        });
        await waitFor(
          () =>
            follower.stderr.includes(`following every alert in turbostream:alerts:log on redis://127.0.0.1:${port}`),
          { description: 'what `alerts` follows' },
        );
        expect(follower.lines().every(isAlertLine)).toBe(true);
        await waitFor(() => up.lines().length > 0, {
          timeoutMs: 10_000,
          description: 'an alert on the standard output of up',
        });
        expect(up.lines().every(isAlertLine)).toBe(true);
        // Standard output carries the alerts, standard error the rest.
        expect(up.stderr.split('\n').some(isAlertLine)).toBe(false);
        if (redisCli)
          await waitFor(() => watched.includes('"streamId":"demo-market"'), {
            timeoutMs: 30_000,
            description: `an alert seen by \`${watchLine}\``,
          });
      } finally {
        redisCli?.kill('SIGKILL');
      }

      const { code, tookMs } = await up.interrupt();
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(EXIT_WITHIN_MS);
      expect(errorOutput(up.stderr)).toEqual([]);
      // Every service closed while Redis still answered, then Redis went.
      for (const closed of ['"msg":"analyzer stopped"', '"msg":"windower stopped"', '"msg":"ingest closed"'])
        expect(up.stderr).toContain(closed);
      expect(up.stderr).toMatch(/turbostream: stopped\n$/);
      expect(alive(redisPid)).toBe(false);
      expect(existsSync(join(cwd, '.turbostream', 'up.json'))).toBe(false);

      // `alerts` outlives its Redis: it says it lost it, and keeps trying without a stack trace.
      await waitFor(() => follower.stderr.includes('lost the connection to Redis'), {
        description: '`alerts` noticing that Redis went',
      });
      expect(follower.running).toBe(true);
      expect((await follower.interrupt()).code).toBe(0);
      expect(errorOutput(follower.stderr)).toEqual([]);
    });
  }, 120_000);

  it('reuses the private redis-server an up that was killed left running, and says so', async () => {
    await dumpOnFailure(async () => {
      const cwd = workspace();
      const port = await freePort();
      const first = cli('first up', ['up', '--private-redis', '--redis-port', String(port)], cwd);
      await waitFor(() => first.stderr.includes('npx turbostream alerts'), {
        timeoutMs: 30_000,
        description: 'the banner of the first up',
      });
      const redisPid: number = record(cwd).redis.pid;
      redisPids.push(redisPid);

      await first.kill();
      expect(alive(redisPid)).toBe(true);

      const second = cli('second up', ['up', '--private-redis'], cwd);
      await waitFor(() => second.stderr.includes('npx turbostream alerts'), {
        timeoutMs: 30_000,
        description: 'the banner of the second up',
      });
      expect(second.stderr).toContain(`reusing the private redis-server on port ${port} (pid ${redisPid}`);
      expect(second.stderr).toContain(`redis-cli -p ${port} SUBSCRIBE turbostream:alerts`);
      expect(record(cwd)).toMatchObject({ pid: second.pid, redis: { pid: redisPid, port } });
      await waitFor(() => second.lines().length > 0, {
        timeoutMs: 30_000,
        description: 'an alert printed by the second up',
      });

      const { code, tookMs } = await second.interrupt();
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(EXIT_WITHIN_MS);
      // When the killed up had stored messages, this one's ingest marks its restart with a warning, as it should.
      expect(
        errorOutput(second.stderr).filter((line) => !line.includes('ingest restarted: gap entry written')),
      ).toEqual([]);
      expect(alive(redisPid)).toBe(false);
      expect(existsSync(join(cwd, '.turbostream', 'up.json'))).toBe(false);
    });
  }, 120_000);
});

describe('turbostream alerts, Redis missing or restarted', () => {
  beforeAll(() => assertCliBuilt());

  // The file's server, emptied first: these tests use the default namespace.
  redisTest(
    'keeps following across a Redis restart, saying so in one line each way',
    async ({ server }) => {
      const publisher = server.client();
      publisher.on('error', () => {});
      await publisher.flushall();
      const alerts = new AlertPublisher({ redis: publisher, keys: createKeyLayout() });
      const follow = new Cli('alerts', ['alerts'], workspace(), { REDIS_URL: server.url });
      try {
        await waitFor(() => follow.stderr.includes('following every alert in turbostream:alerts:log'), {
          timeoutMs: 20_000,
          description: '`alerts` following',
        });
        await alerts.publish(sampleAlert({ id: 'before' }));
        await waitFor(() => follow.stdout.includes('"id":"before"'), {
          description: 'the alert published before the restart',
        });
        await server.kill();
        await waitFor(() => follow.stderr.includes(`lost the connection to Redis at ${server.url}; reconnecting`), {
          description: '`alerts` noticing',
        });
        await server.restart();
        await alerts.publish(sampleAlert({ id: 'after' }));
        await waitFor(
          () => follow.stderr.includes(`reconnected to ${server.url}; following turbostream:alerts:log again`),
          { timeoutMs: 20_000, description: '`alerts` back' },
        );
        await waitFor(() => follow.stdout.includes('"id":"after"'), {
          description: 'the alert published after the restart',
        });
        expect(follow.running).toBe(true);
        expect(follow.stderr.match(/lost the connection/g)).toHaveLength(1);
        expect(errorOutput(follow.stderr)).toEqual([]);
        expect((await follow.interrupt()).code).toBe(0);
        expect(follow.lines().map((line) => JSON.parse(line).id)).toEqual(['before', 'after']);
      } catch (error) {
        process.stderr.write(`----- alerts -----\n${follow.stdout}\n${follow.stderr}\n`);
        throw error;
      } finally {
        await follow.kill();
        publisher.disconnect();
        await server.restart(); // for the tests after this one, if it failed while the server was down
      }
    },
    60_000,
  );

  redisTest(
    'prints, once each, the alerts published while its connection was down',
    async ({ server, redis }) => {
      await redis.flushall();
      const keys = createKeyLayout();
      const follow = new Cli('alerts', ['alerts', '--stream', 's1'], workspace(), { REDIS_URL: server.url });
      try {
        await waitFor(() => follow.stderr.includes('following the alerts of s1'), {
          timeoutMs: 20_000,
          description: '`alerts` following',
        });
        const clients = String(await redis.client('LIST'));
        const id = /id=(\d+) .*name=turbostream:alerts /.exec(clients)?.[1];
        expect(id, clients).toBeDefined();
        // Atomically: its connection is closed, then two alerts are published (log and channel, as AlertPublisher does)
        // before it can be back.
        const during = [
          sampleAlert({ id: 'during-1' }),
          sampleAlert({ id: 'other', streamId: 's2' }),
          sampleAlert({ id: 'during-2' }),
        ];
        const transaction = redis.multi().client('KILL', 'ID', id ?? '');
        for (const alert of during)
          transaction
            .xadd(keys.alertLog, '*', 'alert', JSON.stringify(alert))
            .publish(keys.alertsChannel, JSON.stringify(alert));
        await transaction.exec();
        await waitFor(() => follow.stdout.includes('"id":"during-2"'), {
          timeoutMs: 20_000,
          description: 'the alerts published while it was cut off',
        });
        await redis.xadd(keys.alertLog, '*', 'alert', JSON.stringify(sampleAlert({ id: 'later' })));
        await waitFor(() => follow.stdout.includes('"id":"later"'), { description: 'an alert after it is back' });
        expect((await follow.interrupt()).code).toBe(0);
        expect(follow.lines().map((line) => JSON.parse(line).id)).toEqual(['during-1', 'during-2', 'later']);
      } catch (error) {
        process.stderr.write(`----- alerts -----\n${follow.stdout}\n${follow.stderr}\n`);
        throw error;
      } finally {
        await follow.kill();
      }
    },
    60_000,
  );

  it('alerts: exit 69 with the same guidance as streams, no stack trace', async () => {
    const cwd = workspace();
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    const follow = new Cli('alerts', ['alerts'], cwd, { REDIS_URL: nobody });
    const list = new Cli('streams', ['streams'], cwd, { REDIS_URL: nobody });
    expect(await follow.exited).toBe(69);
    expect(await list.exited).toBe(69);
    expect(follow.stdout).toBe('');
    expect(follow.stderr).toMatch(new RegExp(`^Redis does not answer at ${nobody}: .*\n\nTurboStream needs Redis`));
    expect(follow.stderr.split('\n').slice(1)).toEqual(list.stderr.split('\n').slice(1));
    expect(follow.stderr).not.toMatch(/MaxRetriesPerRequestError|^\s+at /m);
  }, 60_000);

  it('alerts ignores a stale record whose redis-server does not answer', async () => {
    const cwd = workspace();
    const port = await freePort();
    const stale = {
      v: 1,
      command: 'up',
      pid: 2 ** 22 + 17,
      startedAt: new Date().toISOString(),
      namespace: 'gone',
      redis: { url: `redis://127.0.0.1:${port}`, source: 'private', pid: 2 ** 22 + 18, port, dir: cwd },
    };
    mkdirSync(join(cwd, '.turbostream'));
    writeFileSync(join(cwd, '.turbostream', 'up.json'), JSON.stringify(stale));
    // REDIS_URL unset: the default address, whether or not a Redis answers there on this machine.
    const follow = new Cli('alerts', ['alerts'], cwd);
    try {
      await waitFor(
        () =>
          /following every alert in turbostream:alerts:log on redis:\/\/127\.0\.0\.1:6379|Redis does not answer at redis:\/\/127\.0\.0\.1:6379/.test(
            follow.stderr,
          ) || !follow.running,
        { timeoutMs: 20_000, description: '`alerts` choosing a Redis' },
      );
      expect(follow.stderr).toMatch(/redis:\/\/127\.0\.0\.1:6379/);
      expect(follow.stderr).not.toContain(String(port));
    } finally {
      await follow.kill();
    }
  }, 60_000);
});

describe('the demo on a Redis that is not its own', () => {
  const DAY_S = 24 * 3600;
  let server: RedisServer;
  let redis: ReturnType<RedisServer['client']>;
  const started: Cli[] = [];
  redisTest.beforeAll(async ({ server: fileServer }) => {
    assertCliBuilt();
    server = fileServer;
    redis = server.client();
    await redis.flushall(); // the file's server: what the tests before left is not the demo's
  });
  afterAll(async () => {
    for (const each of started) await each.kill();
    redis.disconnect();
  });
  const up = (name: string) => {
    const each = new Cli(name, ['up'], workspace(), { REDIS_URL: server.url });
    started.push(each);
    return each;
  };
  const keysOf = async (pattern: string) => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...page);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  /** Every demo key with the seconds it has left (-1: no expiry). */
  const demoTtls = async () => {
    const keys = [
      ...(await keysOf('turbostream-demo:*')),
      ...(await keysOf('{turbostream-demo}:*')),
      ...(await keysOf('{turbostream-demo:alerts:log}:*')),
    ];
    return Promise.all(keys.map(async (key) => [key, await redis.ttl(key)] as const));
  };

  it('runs apart in turbostream-demo, one at a time, and leaves nothing there for more than a day, even when ' +
    'killed', async () => {
    // What a real deployment keeps there stays untouched.
    await redis.set('turbostream:streams:targets', 'real');
    await redis.xadd('turbostream:{turbostream:orders}:messages', '*', 'data', '{}');
    const first = up('first demo');
    try {
      await waitFor(() => first.lines().some(isAlertLine), { timeoutMs: 30_000, description: 'a demo alert' });
      expect(first.stderr).toContain(
        'the demo runs in the namespace turbostream-demo, and its keys expire a day after it stops',
      );
      expect(first.stderr).toContain(
        `${server.url.replace('redis://127.0.0.1:', 'redis-cli -p ')} SUBSCRIBE turbostream-demo:alerts`,
      );
      expect(await redis.xlen('turbostream-demo:alerts:log')).toBeGreaterThan(0);

      // A second demo on the same Redis says plainly that one runs, and leaves.
      const second = up('second demo');
      expect(await second.exited).toBe(75);
      expect(second.stderr).toContain(`a TurboStream demo is already running on this Redis (pid ${first.pid} on `);
      expect(second.stderr).toContain('its alerts are on turbostream-demo:alerts');

      // Killed: the keys written since its last expiry pass have none yet; the next demo takes over at once and gives
      // them one.
      await first.kill();
      const third = up('third demo');
      await waitFor(() => third.lines().some(isAlertLine), {
        timeoutMs: 30_000,
        description: 'an alert of the demo started after the killed one',
      });
      const { code, tookMs } = await third.interrupt();
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(EXIT_WITHIN_MS);
      // Its ingest took over the killed demo's stream: it marks the restart (a warning, as it should), nothing else.
      const [restart, ...others] = errorOutput(third.stderr);
      expect(restart).toContain('ingest restarted: gap entry written');
      expect(others).toEqual([]);

      const ttls = await demoTtls();
      expect(ttls.length).toBeGreaterThan(10);
      expect(ttls.filter(([, ttl]) => ttl < 0 || ttl > DAY_S)).toEqual([]);
      expect(await redis.exists('turbostream-demo:demo:lease')).toBe(0);
      expect(await redis.ttl('turbostream:streams:targets')).toBe(-1);
      expect(await redis.ttl('turbostream:{turbostream:orders}:messages')).toBe(-1);
      expect(await keysOf('turbostream:{turbostream:demo-market}*')).toEqual([]);
    } catch (error) {
      for (const each of started)
        process.stderr.write(`\n----- ${each.name} -----\n${each.stdout.slice(-2000)}\n${each.stderr.slice(-6000)}\n`);
      throw error;
    }
  }, 120_000);
});
