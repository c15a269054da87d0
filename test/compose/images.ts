/**
 * The base images the stack needs — the Dockerfile's Node image and the
 * compose file's Redis image — present, pulled, or, where no image registry
 * answers, built as stand-ins from Debian's packages and the npm registry
 * (test/compose/stand-ins). A stand-in is built once and kept by the engine
 * like any image, so later runs on the same machine find it present.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import type { Engine } from './engine.js';
import { progress, run } from './run.js';

const STAND_INS = join(import.meta.dirname, 'stand-ins');
/** What the stand-ins are built from: Debian bookworm, minimal, from `debootstrap`. */
export const STAND_IN_BASE = 'localhost/turbostream-stand-in/debian:bookworm';
const STAND_IN_LABEL = 'org.turbostream.stand-in';

/**
 * `redis:7` → `docker.io/library/redis:7`: the name the Docker API (and so
 * compose) looks for. podman would file a stand-in tagged `redis:7` under
 * `localhost/`, where compose does not look.
 */
export function qualifiedImageName(image: string): string {
  const [first = '', ...rest] = image.split('/');
  if (rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) return image;
  return `docker.io/${rest.length === 0 ? `library/${image}` : image}`;
}

export type ImageOrigin = 'present' | 'present (stand-in)' | 'pulled' | 'stand-in built';

async function imageLabel(engine: Engine, image: string): Promise<string | undefined> {
  const inspected = await engine.cli(
    ['image', 'inspect', '--format', `{{index .Config.Labels "${STAND_IN_LABEL}"}}`, image],
    { allowFailure: true, timeoutMs: 30_000 },
  );
  if (inspected.code !== 0) return undefined;
  return inspected.stdout.trim();
}

async function ensureStandInBase(engine: Engine, workDir: string): Promise<void> {
  if ((await imageLabel(engine, STAND_IN_BASE)) !== undefined) return;
  progress(`building ${STAND_IN_BASE} with debootstrap (Debian's packages; about a minute)`);
  const rootfs = join(workDir, 'rootfs');
  await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs], { timeoutMs: 900_000 });
  rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
  mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
  await engine.cli(['import', '--change', 'CMD ["bash"]', '-', STAND_IN_BASE], {
    input: { command: 'tar', args: ['-C', rootfs, '-c', '.'] },
    timeoutMs: 600_000,
  });
  rmSync(rootfs, { recursive: true, force: true });
}

/**
 * The Node build the project itself installed (`node-linux-<arch>`, Node 24), else the same package from the npm
 * registry.
 */
async function nodeBinary(into: string): Promise<void> {
  const packageName = `node-linux-${arch()}`;
  try {
    const manifest = createRequire(join(import.meta.dirname, '..', '..', 'package.json')).resolve(
      `${packageName}/package.json`,
    );
    const binary = join(dirname(manifest), 'bin', 'node');
    if (existsSync(binary)) {
      copyFileSync(binary, join(into, 'node'));
      return;
    }
  } catch {
    // not installed here: fetch it below
  }
  const packed =
    (await run('npm', ['pack', '--silent', `${packageName}@24`], { cwd: into, timeoutMs: 300_000 })).stdout
      .trim()
      .split('\n')
      .pop() ?? '';
  await run('tar', ['-xzf', join(into, packed), '-C', into, '--strip-components=2', 'package/bin/node']);
  rmSync(join(into, packed));
}

async function buildNodeStandIn(engine: Engine, image: string, workDir: string): Promise<void> {
  const context = join(workDir, 'node');
  mkdirSync(join(context, 'npm'), { recursive: true });
  copyFileSync(join(STAND_INS, 'node.Containerfile'), join(context, 'Containerfile'));
  await nodeBinary(context);
  const packed =
    (await run('npm', ['pack', '--silent', 'npm@11'], { cwd: context, timeoutMs: 300_000 })).stdout
      .trim()
      .split('\n')
      .pop() ?? '';
  await run('tar', ['-xzf', join(context, packed), '-C', join(context, 'npm'), '--strip-components=1']);
  rmSync(join(context, packed));
  // The machine's bundle (Debian's update-ca-certificates writes the local authorities into it too).
  const authorities = '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(authorities)) copyFileSync(authorities, join(context, 'ca-certificates.crt'));
  else writeFileSync(join(context, 'ca-certificates.crt'), '');
  await engine.build(join(context, 'Containerfile'), context, image);
}

async function buildRedisStandIn(engine: Engine, image: string, workDir: string): Promise<void> {
  const context = join(workDir, 'redis');
  mkdirSync(context, { recursive: true });
  for (const file of ['redis.Containerfile', 'redis-entrypoint.sh'])
    copyFileSync(join(STAND_INS, file), join(context, file));
  await engine.build(join(context, 'redis.Containerfile'), context, image);
}

/**
 * Makes `images.node` and `images.redis` available to the engine; says where
 * each came from. `pull` is tried before building a stand-in, so a machine
 * with a registry uses the real images.
 */
export async function ensureBaseImages(
  engine: Engine,
  images: { node: string; redis: string },
  parentDir: string,
): Promise<Record<string, ImageOrigin>> {
  const origins: Record<string, ImageOrigin> = {};
  const workDir = mkdtempSync(join(parentDir, 'stand-ins-'));
  try {
    for (const [kind, image] of Object.entries(images) as ['node' | 'redis', string][]) {
      const label = await imageLabel(engine, image);
      if (label !== undefined) {
        origins[image] = label ? 'present (stand-in)' : 'present';
        continue;
      }
      if ((await engine.cli(['pull', image], { allowFailure: true, timeoutMs: 600_000 })).code === 0) {
        origins[image] = 'pulled';
        continue;
      }
      progress(`${image} cannot be pulled (no image registry answers): building a stand-in`);
      await ensureStandInBase(engine, workDir);
      if (kind === 'node') await buildNodeStandIn(engine, qualifiedImageName(image), workDir);
      else await buildRedisStandIn(engine, qualifiedImageName(image), workDir);
      origins[image] = 'stand-in built';
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return origins;
}
