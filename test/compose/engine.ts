/**
 * The container engine the compose test runs on: a Docker engine with
 * `docker compose` where one answers, and podman otherwise — installed from
 * Debian's packages when missing — with the real `docker-compose` talking to
 * podman's Docker-compatible API.
 *
 * What podman needs on a machine without systemd or the right to raise
 * resource limits (see deploy/README.md, "Tested on"):
 * - a `containers.conf` of the test's own (CONTAINERS_CONF; nothing in /etc
 *   changes) that sets the ulimits instead of raising them and uses runc
 *   (crun refuses hybrid cgroup hierarchies);
 * - health checks run on request: podman schedules them with systemd timers,
 *   so without systemd `keepHealthChecksRunning` does what the timer would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { progress, run, type RunOptions, type RunResult, succeeds, waitFor } from './run.js';

export interface Engine {
  /** For the record: `docker 28.2.2 with docker compose 2.29.1`, `podman 4.3.1 with docker-compose 1.29.2`. */
  readonly description: string;
  readonly kind: 'docker' | 'podman';
  /**
   * The engine's command (`docker` or `podman`) and the environment it and compose run with (podman: CONTAINERS_CONF,
   * DOCKER_HOST).
   */
  readonly command: string;
  readonly env: NodeJS.ProcessEnv;
  /** The engine's own command line (`docker` or `podman`): images, containers, logs, exec. */
  cli(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * The compose command (`docker compose` or `docker-compose`), pointed at this engine (its variables win over
   * `options.env`).
   */
  compose(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Builds `file` with `context` as image `tag`, from base images already on the machine where the engine can only use
   * those.
   */
  build(file: string, context: string, tag: string, options?: { pull?: boolean }): Promise<RunResult>;
  /** Starts running the health checks of the project's containers if the engine does not (podman without systemd). */
  keepHealthChecksRunning(project: string): { stop(): void };
  /** Stops what `prepareEngine` started. */
  close(): Promise<void>;
}

/** The Debian packages podman mode needs, for the error message and for apt-get. */
export const PODMAN_PACKAGES = ['podman', 'runc', 'netavark', 'aardvark-dns', 'docker-compose', 'debootstrap'];

export async function prepareEngine(stateDir: string): Promise<Engine> {
  if (await succeeds('docker', ['info', '--format', '{{.ServerVersion}}'])) return dockerEngine();
  return podmanEngine(stateDir);
}

async function dockerEngine(): Promise<Engine> {
  const version = (await run('docker', ['info', '--format', '{{.ServerVersion}}'])).stdout.trim();
  const plugin = await succeeds('docker', ['compose', 'version']);
  if (!plugin && !(await succeeds('docker-compose', ['version']))) {
    throw new Error(
      'A Docker engine runs but neither `docker compose` nor `docker-compose` is installed: install the Compose ' +
        'plugin (docker-compose-plugin)',
    );
  }
  const compose = plugin ? ['docker', 'compose'] : ['docker-compose'];
  const composeVersion = (await run(compose[0] ?? '', [...compose.slice(1), 'version', '--short'])).stdout.trim();
  return {
    description: `docker ${version} with ${compose.join(' ')} ${composeVersion}`,
    kind: 'docker',
    command: 'docker',
    env: process.env,
    cli: (args, options) => run('docker', args, options),
    compose: (args, options) => run(compose[0] ?? '', [...compose.slice(1), ...args], options),
    build: (file, context, tag) =>
      run('docker', ['build', '-f', file, '-t', tag, context], { env: { ...process.env, DOCKER_BUILDKIT: '1' } }),
    // The Docker engine runs health checks on its own.
    keepHealthChecksRunning: () => ({ stop: () => undefined }),
    close: async () => undefined,
  };
}

async function installPodman(): Promise<void> {
  const missing = ['podman', 'docker-compose', 'debootstrap', 'runc'];
  const absent = [];
  for (const command of missing) if (!(await succeeds('sh', ['-c', `command -v ${command}`]))) absent.push(command);
  if (absent.length === 0) return;
  const root = process.getuid?.() === 0;
  if (!root || !(await succeeds('sh', ['-c', 'command -v apt-get']))) {
    throw new Error(
      `No Docker engine answers and ${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} not installed: ` +
        `install a Docker engine with the Compose plugin, or (Debian) \`sudo apt-get ` +
        `install ${PODMAN_PACKAGES.join(' ')}\``,
    );
  }
  progress(`installing ${PODMAN_PACKAGES.join(' ')} from Debian's packages (no Docker engine answers)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 });
  // With the recommended packages, as a user's `apt-get install podman` gets them (iptables for netavark among them).
  await run('apt-get', ['install', '-y', '-qq', ...PODMAN_PACKAGES], { env, timeoutMs: 600_000 });
}

/** Answers GET /_ping on the API socket. */
function pings(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}

async function podmanEngine(stateDir: string): Promise<Engine> {
  await installPodman();
  const conf = join(stateDir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '# Written by test/compose/engine.ts for the compose test only (CONTAINERS_CONF).',
      '[containers]',
      '# Set, not raised: a process that may not raise its limits cannot start containers that ask for more.',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[engine]',
      '# crun refuses hybrid cgroup hierarchies; runc runs on them.',
      'runtime = "runc"',
      '',
    ].join('\n'),
  );
  const socket = join(stateDir, 'podman.sock');
  const variables = { CONTAINERS_CONF: conf, DOCKER_HOST: `unix://${socket}` };
  const env = { ...process.env, ...variables };
  const podman = (args: readonly string[], options: RunOptions = {}) =>
    run('podman', args, { ...options, env: { ...(options.env ?? process.env), ...variables } });
  const version = (await podman(['--version'])).stdout.trim().replace(/^podman version /, '');
  const composeVersion = (await run('docker-compose', ['version', '--short'])).stdout.trim();

  // docker-compose speaks the Docker API; podman serves it on a socket of ours.
  let service: ChildProcess | undefined = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serviceErrors = '';
  service.stderr?.on('data', (chunk: Buffer) => {
    serviceErrors = (serviceErrors + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => service?.once('exit', () => resolve()));
  await waitFor(
    'podman API service answering on its socket',
    async () => (existsSync(socket) && (await pings(socket))) || undefined,
    30_000,
    200,
  );

  return {
    description: `podman ${version} (runtime runc) with docker-compose ${composeVersion} over podman's Docker API`,
    kind: 'podman',
    command: 'podman',
    env,
    cli: podman,
    compose: (args, options = {}) =>
      run('docker-compose', args, { ...options, env: { ...(options.env ?? process.env), ...variables } }),
    // --format docker keeps HEALTHCHECK (OCI images have none); --network host: the build's RUN steps reach the package
    // registries as the machine does.
    build: (file, context, tag, options = {}) =>
      podman(
        [
          'build',
          '--format',
          'docker',
          `--pull=${options.pull ? 'missing' : 'never'}`,
          '--network',
          'host',
          '--layers',
          '-f',
          file,
          '-t',
          tag,
          context,
        ],
        { timeoutMs: 900_000 },
      ),
    keepHealthChecksRunning(project) {
      const withCheck = new Map<string, boolean>();
      let stopped = false;
      const tick = async () => {
        while (!stopped) {
          const ids = (
            await podman(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`], {
              allowFailure: true,
            })
          ).stdout
            .split('\n')
            .filter(Boolean);
          await Promise.all(
            ids.map(async (id) => {
              if (!withCheck.has(id)) {
                const test = (
                  await podman(['inspect', '--format', '{{json .Config.Healthcheck}}', id], { allowFailure: true })
                ).stdout.trim();
                withCheck.set(id, test !== '' && test !== 'null' && !test.includes('"NONE"'));
              }
              if (withCheck.get(id))
                await podman(['healthcheck', 'run', id], { allowFailure: true, timeoutMs: 15_000 });
            }),
          );
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      };
      void tick().catch(() => undefined);
      return {
        stop: () => {
          stopped = true;
        },
      };
    },
    async close() {
      if (!service) return;
      service.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      service.kill('SIGKILL');
      service = undefined;
      if (serviceErrors.includes('level=fatal'))
        progress(`podman API service: ${serviceErrors.trim().split('\n').slice(-3).join(' | ')}`);
    },
  };
}
