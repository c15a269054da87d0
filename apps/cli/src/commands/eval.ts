import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTarget, type TurboConfig } from '@turbostream/config';
import type { AnalysisTarget } from '@turbostream/contracts';
import {
  BUILT_IN_CORPORA,
  builtInCorpus,
  type CorpusFeed,
  formatCorpusProblem,
  readCorpusFile,
} from '@turbostream/eval';
import { closeRedis, connectRedis, createKeyLayout, type RedisClient } from '@turbostream/redis';
import { evalReport, formatEvalReport } from '../eval/eval-report.js';
import { replayCorpus } from '../eval/replay.js';
import { loadConfigOrExit, rootLogger, UsageError } from '../runtime/load.js';
import { freePort } from '../runtime/ports.js';
import { PrivateRedis } from '../runtime/private-redis.js';

export interface EvalOptions {
  targets: string[];
  corpora: string[];
  json: boolean;
  seed: number;
}

/** `provider/model` (or a provider alone, with its `<PROVIDER>_MODEL`), as `streams set` reads targets. */
function parseTarget(text: string, config: TurboConfig): AnalysisTarget {
  const slash = text.indexOf('/');
  const provider = slash === -1 ? text : text.slice(0, slash);
  const model = slash === -1 ? undefined : text.slice(slash + 1) || undefined;
  const resolved = resolveTarget(
    { provider, model },
    { providers: config.providers, nameIt: `name one (${provider}/MODEL)` },
  );
  if (!('target' in resolved)) throw new UsageError(`--target ${text}: ${resolved.message}`);
  const settings = config.providers[resolved.target.provider];
  if (!settings.configured)
    throw new UsageError(
      `--target ${text}: provider ${resolved.target.provider} is not configured: set ${settings.missing.join(', ')} ` +
        '(see env.local.example)',
    );
  return resolved.target;
}

/** The built-in feeds named (all by default) and the user's labelled files (a name with a `/` or a `.jsonl`). */
function loadFeeds(names: readonly string[], seed: number): CorpusFeed[] {
  const files = names.filter((name) => name.includes('/') || name.endsWith('.jsonl') || name.endsWith('.json'));
  const builtIn = names.filter((name) => !files.includes(name));
  const unknown = builtIn.filter((name) => !BUILT_IN_CORPORA.includes(name));
  if (unknown.length > 0)
    throw new UsageError(
      `--corpus ${unknown.join(', ')}: no such built-in corpus; the built-in ones are ${BUILT_IN_CORPORA.join(', ')}, ` +
        'and a labelled file of your own is named by its path (see docs/eval.md)',
    );
  const feeds =
    names.length === 0 || builtIn.length > 0 ? builtInCorpus(names.length === 0 ? undefined : builtIn, seed) : [];
  for (const file of files) {
    const { feed, problems } = readCorpusFile(file);
    if (!feed || problems.length > 0)
      throw new UsageError(
        `--corpus ${file} has ${problems.length} problem(s):\n${problems.map(formatCorpusProblem).join('\n')}`,
      );
    if (feeds.some((other) => other.name === feed.name))
      throw new UsageError(`--corpus ${file}: a feed named ${feed.name} is already in the evaluation`);
    feeds.push(feed);
  }
  return feeds;
}

/** A progress line on a terminal (stderr), erased at the end; nothing when stderr is not a terminal. */
function progressLine(): { update: (done: number, expected: number, final: boolean) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, end: () => {} };
  const width = 30;
  return {
    update: (done, expected, final) => {
      const share = expected === 0 ? 0 : done / expected;
      const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
      process.stderr.write(
        `\r\u001b[2Keval [${bar}] ${done}/${expected}${final ? '' : '+'} analyses (windows × targets)`,
      );
    },
    end: () => process.stderr.write('\r\u001b[2K'),
  };
}

/** A Redis for the replay: REDIS_URL when set (a namespace of its own, removed after), else a throwaway server. */
async function evalRedis(config: TurboConfig): Promise<{ url: string; close: () => Promise<void> }> {
  if (config.redis.explicit) return { url: config.redis.url, close: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'turbostream-eval-'));
  const port = await freePort();
  const server = await PrivateRedis.start({ dir, ports: { first: port, last: port } });
  return {
    url: server.url,
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes every key of `namespace` (the replay's own). */
async function removeNamespace(redis: RedisClient, namespace: string): Promise<void> {
  for (const pattern of createKeyLayout(namespace).keyPatterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}

/**
 * `turbostream eval`: replays the labelled corpus through the real path for each target and prints how well each
 * alerted (recall, precision, F1, severity), how fast, and what it cost.
 */
export async function evaluate(options: EvalOptions): Promise<number> {
  if (options.targets.length === 0)
    throw new UsageError('turbostream eval needs at least one --target P/M\nRun `turbostream eval --help`.');
  const loaded = loadConfigOrExit();
  const targets = options.targets.map((text) => parseTarget(text, loaded));
  const feeds = loadFeeds(options.corpora, options.seed);
  const server = await evalRedis(loaded);
  const namespace = `eval-${randomUUID().slice(0, 8)}`;
  const config: TurboConfig = {
    ...loaded,
    namespace,
    redis: {
      ...loaded.redis,
      url: server.url,
      nodes: [server.url],
      cluster: loaded.redis.explicit && loaded.redis.cluster,
    },
    health: { ...loaded.health, port: 0 },
  };
  const redis = connectRedis({ ...config.redis, name: 'turbostream:eval' });
  const progress = progressLine();
  // The services' info lines (a line a window) would bury the progress: warnings and errors only, unless asked.
  const logger = rootLogger({
    ...config,
    log: { ...config.log, level: config.log.level === 'info' ? 'warn' : config.log.level },
  });
  try {
    process.stderr.write(
      `turbostream eval: ${feeds.length} feed(s) (${feeds.map((feed) => feed.name).join(', ')}), ` +
        `${feeds.reduce((sum, feed) => sum + feed.messages.length, 0)} messages, ${targets.length} target(s), ` +
        `namespace ${namespace}\n`,
    );
    const startedAt = Date.now();
    const outcome = await replayCorpus({
      config,
      redis,
      feeds,
      targets,
      logger,
      onProgress: ({ done, expected, allCut }) => progress.update(done, expected, allCut),
    });
    progress.end();
    const report = evalReport({ feeds, targets, outcome, seconds: (Date.now() - startedAt) / 1000 });
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatEvalReport(report));
    return 0;
  } finally {
    progress.end();
    await removeNamespace(redis, namespace).catch(() => {});
    await closeRedis(redis);
    await server.close();
  }
}
