/**
 * `npm run test:compose`: the real image from deploy/Dockerfile and the real
 * docker-compose.yml, run on a container engine (a Docker engine where one
 * answers, podman otherwise: test/compose/engine.ts), the way a user runs them:
 *
 *   engine ready → base images → image built → `up` → a demo alert on the
 *   channel → every health check passes → `--scale analyzer=3`, each replica
 *   takes windows → SIGTERM to one analyzer: it drains and exits 0, the others
 *   go on → the queue KEDA watches is the running stack's → `down -v`: nothing
 *   left behind.
 *
 * Stages run in order, each printing its time; a failed stage skips the rest
 * (the run is red either way) and the stack is torn down whatever happened.
 * No override file: the compose file runs unmodified; the project directory is
 * a temporary one holding env.local (from env.local.example) and the demo
 * streams file, so a user's own env.local or .env never leaks into the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultConfig } from '@turbostream/config';
import { createKeyLayout } from '@turbostream/redis';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Engine, prepareEngine } from './engine.js';
import { ensureBaseImages, qualifiedImageName } from './images.js';
import { progress, timed, waitFor } from './run.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const PROJECT = 'turbostream-compose-test';
const SCALE = 3;
const keys = createKeyLayout(defaultConfig().namespace);

// ── what the files say ───────────────────────────────────────────────────────

const ComposeFile = z.object({
  services: z.record(
    z.string(),
    z.object({
      image: z.string().optional(),
      profiles: z.array(z.string()).optional(),
      healthcheck: z.object({ disable: z.boolean().optional(), test: z.array(z.string()).optional() }).optional(),
      stop_grace_period: z.string().optional(),
    }),
  ),
});
const compose = ComposeFile.parse(parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }));
const service = (name: string) => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const TURBOSTREAM_IMAGE = service('analyzer').image ?? '';
const REDIS_IMAGE = service('redis').image ?? '';
const NODE_IMAGE =
  /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8'))?.[1] ?? '';
/** What plain `up` starts: every service outside a profile (the opt-in `observability` profile is not run here). */
const DEFAULT_SERVICES = Object.entries(compose.services)
  .filter(([, definition]) => (definition.profiles ?? []).length === 0)
  .map(([name]) => name);
const CHECKED_SERVICES = Object.entries(compose.services)
  .filter(([name, definition]) => DEFAULT_SERVICES.includes(name) && definition.healthcheck?.disable !== true)
  .map(([name]) => name)
  .sort();
const graceSeconds = (name: string) => {
  const text = service(name).stop_grace_period ?? '10s';
  const match = /^(\d+)s$/.exec(text);
  if (!match) throw new Error(`stop_grace_period ${text} of ${name}: expected whole seconds`);
  return Number(match[1]);
};

/** The wait lists deploy/k8s/keda.yaml scales the analyzer on. */
const KedaObject = z.object({
  kind: z.string(),
  spec: z.object({ triggers: z.array(z.object({ metadata: z.record(z.string(), z.string()) })).optional() }).optional(),
});
const kedaListNames = () =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy/k8s/keda.yaml'), 'utf8'))
    .map((document) => KedaObject.parse(document.toJS()))
    .filter((object) => object.kind === 'ScaledObject')
    .flatMap((object) => object.spec?.triggers?.map((trigger) => trigger.metadata.listName ?? '') ?? []);

// ── the engine's view of the stack ───────────────────────────────────────────

const Inspected = z.array(
  z.object({
    Id: z.string(),
    Name: z.string(),
    State: z.object({
      Status: z.string(),
      ExitCode: z.number(),
      Health: z.object({ Status: z.string() }).nullish(),
      Healthcheck: z.object({ Status: z.string() }).nullish(),
    }),
  }),
);
type Container = z.infer<typeof Inspected>[number];

let engine: Engine;
let stateDir: string;
let projectDir: string;
let started = false;
let tornDown = false;
let failed = false;
let healthChecks: { stop(): void } | undefined;

const composeArgs = (args: string[]) => [
  '-f',
  join(REPO_ROOT, 'docker-compose.yml'),
  '--project-directory',
  projectDir,
  '-p',
  PROJECT,
  ...args,
];
/** Our environment less what would steer compose away from the file's defaults. */
const composeEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('COMPOSE_') && name !== 'TURBOSTREAM_STREAMS_FILE'),
  ) as NodeJS.ProcessEnv;
const runCompose = (args: string[], timeoutMs = 300_000) =>
  engine.compose(composeArgs(args), { env: composeEnv(), timeoutMs });

async function containers(serviceName?: string, all = false): Promise<Container[]> {
  const filters = ['--filter', `label=com.docker.compose.project=${PROJECT}`];
  if (serviceName) filters.push('--filter', `label=com.docker.compose.service=${serviceName}`);
  const ids = (await engine.cli(['ps', '-q', ...(all ? ['-a'] : []), ...filters])).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  return Inspected.parse(JSON.parse((await engine.cli(['inspect', ...ids])).stdout)).sort((a, b) =>
    a.Name.localeCompare(b.Name),
  );
}
const health = (container: Container) =>
  container.State.Health?.Status ?? container.State.Healthcheck?.Status ?? 'none';
const shortName = (container: Container) => container.Name.replace(/^\//, '');
async function logs(container: Container): Promise<string> {
  const result = await engine.cli(['logs', container.Id], { timeoutMs: 30_000 });
  return result.stdout + result.stderr;
}
const windowsAnalysed = (text: string) =>
  text.split('\n').filter((line) => line.includes('"msg":"window analysed"')).length;

async function redisCli(args: string[]): Promise<string> {
  const [redis] = await containers('redis');
  if (!redis) throw new Error('no running redis container');
  return (await engine.cli(['exec', redis.Id, 'redis-cli', ...args], { timeoutMs: 30_000 })).stdout;
}

/**
 * `redis-cli SUBSCRIBE channel` inside the Redis container; resolves with the first published message that is an alert.
 */
async function firstAlert(timeoutMs: number): Promise<Record<string, unknown>> {
  const [redis] = await containers('redis');
  if (!redis) throw new Error('no running redis container');
  const args = ['exec', redis.Id, 'redis-cli', 'SUBSCRIBE', keys.alertsChannel];
  let child: ChildProcess | undefined;
  try {
    // engine.cli runs a command to completion; a subscription never completes, so this one is spawned.
    return await new Promise((resolve, reject) => {
      child = spawn(engine.command, args, { env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(
        () => reject(new Error(`no alert on ${keys.alertsChannel} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-cli SUBSCRIBE exited with ${code} before an alert`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        try {
          const alert = JSON.parse(line) as Record<string, unknown>;
          if ('severity' in alert) {
            clearTimeout(timer);
            resolve(alert);
          }
        } catch {
          // not JSON: another line of redis-cli's reply format
        }
      });
    });
  } finally {
    child?.kill('SIGKILL');
  }
}

async function tearDown(): Promise<void> {
  healthChecks?.stop();
  await runCompose(['down', '--volumes', '--remove-orphans', '--timeout', '30'], 300_000);
  tornDown = true;
}

// ── the stages ───────────────────────────────────────────────────────────────

describe(`docker-compose.yml on a container engine (project ${PROJECT})`, () => {
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'turbostream-compose-'));
    projectDir = join(stateDir, 'project');
    mkdirSync(join(projectDir, 'deploy', 'demo'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'env.local.example'), join(projectDir, 'env.local'));
    for (const file of ['streams.yaml', 'prices.yaml'])
      copyFileSync(join(REPO_ROOT, 'deploy/demo', file), join(projectDir, 'deploy/demo', file));
  });
  beforeEach((context) => {
    if (failed) context.skip('an earlier stage failed: the stages build on each other');
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    try {
      if (engine && started && !tornDown)
        await tearDown().catch((err: unknown) =>
          progress(`teardown after a failure: ${err instanceof Error ? err.message : String(err)}`),
        );
    } finally {
      await engine?.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('has a container engine', async () => {
    engine = await timed('container engine', () => prepareEngine(stateDir));
    progress(`engine: ${engine.description}`);
    expect(engine.kind === 'docker' || engine.kind === 'podman').toBe(true);
  });

  it(`has the base images (${NODE_IMAGE}, ${REDIS_IMAGE})`, async () => {
    expect(NODE_IMAGE).not.toBe('');
    expect(REDIS_IMAGE).not.toBe('');
    const origins = await timed('base images', () =>
      ensureBaseImages(engine, { node: NODE_IMAGE, redis: REDIS_IMAGE }, stateDir),
    );
    for (const [image, origin] of Object.entries(origins)) progress(`${image}: ${origin}`);
    expect(Object.keys(origins).sort()).toEqual([NODE_IMAGE, REDIS_IMAGE].sort());
  });

  it(`builds ${TURBOSTREAM_IMAGE} from deploy/Dockerfile`, async () => {
    // Leftovers of a run that was killed would make `up` reuse old containers.
    await runCompose(['down', '--volumes', '--remove-orphans', '--timeout', '10']);
    await timed('image build', () =>
      engine.build(
        join(REPO_ROOT, 'deploy/Dockerfile'),
        REPO_ROOT,
        engine.kind === 'podman' ? qualifiedImageName(TURBOSTREAM_IMAGE) : TURBOSTREAM_IMAGE,
      ),
    );
    const help = await engine.cli(['run', '--rm', TURBOSTREAM_IMAGE, '--help'], { timeoutMs: 60_000 });
    expect(help.stdout + help.stderr).toContain('turbostream');
  });

  it('starts every service with `up` and publishes a demo alert on the alerts channel', async () => {
    healthChecks = engine.keepHealthChecksRunning(PROJECT);
    started = true;
    // `up` waits for Redis to be healthy before it starts the services that depend on it.
    await timed('compose up', () => runCompose(['up', '--detach', '--no-build']));
    progress(`running: ${(await containers()).map(shortName).join(', ')}`);
    for (const name of DEFAULT_SERVICES) expect((await containers(name)).length, name).toBe(1);
    // The opt-in profile's services are not started by a plain `up`.
    for (const name of Object.keys(compose.services).filter((candidate) => !DEFAULT_SERVICES.includes(candidate)))
      expect(await containers(name), name).toEqual([]);
    const alert = await timed(`first alert on ${keys.alertsChannel}`, () => firstAlert(120_000));
    progress(`alert: ${JSON.stringify(alert).slice(0, 200)}`);
    expect(alert).toMatchObject({ streamId: 'demo-market', provider: 'heuristic' });
  });

  it(`passes the health check of every service that has one (${CHECKED_SERVICES.join(', ')})`, async () => {
    let seen: (readonly [string, string])[] = [];
    await timed('health checks', () =>
      waitFor(
        'every health check passing',
        async () => {
          const states = await Promise.all(
            CHECKED_SERVICES.map(async (name) =>
              (await containers(name)).map((container) => [shortName(container), health(container)] as const),
            ),
          );
          seen = states.flat();
          return seen.length >= CHECKED_SERVICES.length && seen.every(([, state]) => state === 'healthy')
            ? seen
            : undefined;
        },
        120_000,
        2_000,
        () => seen.map(([name, state]) => `${name} ${state}`).join(', '),
      ),
    );
    for (const name of CHECKED_SERVICES)
      for (const container of await containers(name)) expect(health(container), shortName(container)).toBe('healthy');
    // The one service without a check says so in the compose file.
    for (const name of DEFAULT_SERVICES.filter((candidate) => !CHECKED_SERVICES.includes(candidate)))
      expect(service(name).healthcheck?.disable, name).toBe(true);
  });

  it(`scales the analyzer to ${SCALE} and every replica takes windows`, async () => {
    await timed(`compose up --scale analyzer=${SCALE}`, () =>
      runCompose(['up', '--detach', '--no-build', '--no-recreate', '--scale', `analyzer=${SCALE}`]),
    );
    const replicas = await containers('analyzer');
    expect(replicas.length).toBe(SCALE);
    const counts = await timed('each replica analysing windows', () =>
      waitFor(
        'a window analysed by every analyzer replica',
        async () => {
          const analysed = await Promise.all(
            replicas.map(async (replica) => [shortName(replica), windowsAnalysed(await logs(replica))] as const),
          );
          return analysed.every(([, count]) => count > 0) ? analysed : undefined;
        },
        180_000,
        2_000,
      ),
    );
    progress(`windows analysed: ${counts.map(([name, count]) => `${name} ${count}`).join(', ')}`);
    for (const [name, count] of counts) expect(count, name).toBeGreaterThan(0);
  });

  it('drains an analyzer on SIGTERM: it exits 0 within its grace period and the others go on', async () => {
    const replicas = await containers('analyzer');
    const stopped = replicas[1];
    if (!stopped) throw new Error('fewer than two analyzers');
    const others = replicas.filter((replica) => replica.Id !== stopped.Id);
    const before = await Promise.all(others.map(async (other) => windowsAnalysed(await logs(other))));
    const grace = graceSeconds('analyzer');
    // `stop` sends SIGTERM (the image sets no other stop signal), waits up to the grace period, then kills; a stopped
    // container stays stopped despite `restart: unless-stopped`.
    await timed(`SIGTERM to ${shortName(stopped)}`, () =>
      engine.cli(['stop', '-t', String(grace), stopped.Id], { timeoutMs: (grace + 30) * 1000 }),
    );
    const [after] = await containers('analyzer', true).then((all) =>
      all.filter((container) => container.Id === stopped.Id),
    );
    expect(after?.State.Status).toBe('exited');
    expect(after?.State.ExitCode).toBe(0);
    const output = await logs(stopped);
    for (const message of ['draining: readiness now fails', 'analyzer stopping', 'analyzer stopped'])
      expect(output, message).toContain(`"msg":"${message}"`);
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).not.toMatch(/"level":(50|60)/);
    await timed('the other analyzers take the next window', () =>
      waitFor(
        'a window analysed by a remaining analyzer',
        async () => {
          const now = await Promise.all(others.map(async (other) => windowsAnalysed(await logs(other))));
          return now.some((count, index) => count > (before[index] ?? 0)) ? now : undefined;
        },
        60_000,
        2_000,
      ),
    );
  });

  it('queues windows in the wait lists deploy/k8s/keda.yaml scales on', async () => {
    // The running stack's queues, found by their BullMQ metadata keys.
    const metaKeys = (await redisCli(['--scan', '--pattern', `${keys.queuePrefix}:*:meta`]))
      .split('\n')
      .filter(Boolean);
    const waitLists = metaKeys.map((key) => key.replace(/:meta$/, ':wait'));
    progress(`queues in the stack: ${waitLists.join(', ')}`);
    expect(waitLists.length).toBeGreaterThan(0);
    const listNames = kedaListNames();
    for (const list of waitLists) expect(listNames, list).toContain(list);
    // With no analyzer running, the next windows wait there: what KEDA would count.
    await timed('compose stop analyzer', () =>
      runCompose(['stop', '--timeout', String(graceSeconds('analyzer')), 'analyzer']),
    );
    const waiting = await timed('a window waiting for an analyzer', () =>
      waitFor(
        'a window in a wait list KEDA watches',
        async () => {
          for (const list of waitLists) {
            const length = Number((await redisCli(['LLEN', list])).trim());
            if (length > 0) return [list, length] as const;
          }
          return undefined;
        },
        60_000,
        1_000,
      ),
    );
    progress(`${waiting[0]}: ${waiting[1]} waiting`);
    expect(listNames).toContain(waiting[0]);
  });

  it('tears down with `down --volumes` and leaves no container, volume or network behind', async () => {
    await timed('compose down --volumes', () => tearDown());
    const label = `label=com.docker.compose.project=${PROJECT}`;
    expect((await engine.cli(['ps', '-a', '-q', '--filter', label])).stdout.trim()).toBe('');
    const volumes = (await engine.cli(['volume', 'ls', '--format', '{{.Name}}'])).stdout
      .split('\n')
      .filter((name) => name.startsWith(`${PROJECT}_`));
    expect(volumes).toEqual([]);
    const networks = (await engine.cli(['network', 'ls', '--format', '{{.Name}}'])).stdout
      .split('\n')
      .filter((name) => name.startsWith(`${PROJECT}_`));
    expect(networks).toEqual([]);
  });
});
