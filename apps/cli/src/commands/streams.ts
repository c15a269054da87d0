import { hostname, userInfo } from 'node:os';
import { resolveTarget as resolveConfigTarget, type StreamConfig, type TurboConfig } from '@turbostream/config';
import {
  type AnalysisTarget,
  formatTargets,
  partialSamples,
  SampleRate,
  sampleOf,
  type TargetSamples,
} from '@turbostream/contracts';
import { BudgetLedger, type BudgetStatus } from '@turbostream/costs';
import { AnalysisProducer, analysisQueueName } from '@turbostream/queue';
import {
  clearTargetOverride,
  closeRedis,
  createKeyLayout,
  type KeyLayout,
  liveAnalyzers,
  type RedisClient,
  readTargetOverrides,
  writeTargetOverride,
} from '@turbostream/redis';
import { loadConfigOrExit, UsageError } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';
import { describeBudget, exhaustedText, missingText, readStreamOverview } from '../streams/stream-overview.js';

/** `@0.1` at the end of a comparison target: the share of windows it analyses (a model name may hold other `@`). */
const SAMPLE_SUFFIX = /@((?:0|1)?\.\d+|[01](?:\.\d+)?)$/;

/** `provider`, `provider/model` or `provider/model@0.1` (the share of windows it analyses; default every window). */
export function parseTarget(
  text: string,
  config: TurboConfig,
  what: string,
): { target: AnalysisTarget; sample: number } {
  const suffix = SAMPLE_SUFFIX.exec(text);
  const bare = suffix ? text.slice(0, suffix.index) : text;
  const slash = bare.indexOf('/');
  const providerText = slash === -1 ? bare : bare.slice(0, slash);
  const model = slash === -1 ? undefined : bare.slice(slash + 1);
  const target = resolveTarget(providerText, model, config, what);
  if (!suffix) return { target, sample: 1 };
  const sample = SampleRate.safeParse(Number(suffix[1]));
  if (!sample.success)
    throw new UsageError(`${what} ${text}: ${sample.error.issues[0]?.message} (got ${JSON.stringify(suffix[1])})`);
  return { target, sample: sample.data };
}

function resolveTarget(
  providerText: string,
  model: string | undefined,
  config: TurboConfig,
  what: string,
): AnalysisTarget {
  const nameIt = `name one (${what === '--provider' ? '--model M' : `${providerText}/MODEL`})`;
  const resolved = resolveConfigTarget({ provider: providerText, model }, { providers: config.providers, nameIt });
  if (!('target' in resolved)) throw new UsageError(`${what}: ${resolved.message}`);
  return resolved.target;
}

function findStream(config: TurboConfig, id: string): StreamConfig {
  const stream = config.streams.find((candidate) => candidate.id === id);
  if (!stream) {
    const known = config.streams.map((candidate) => candidate.id).join(', ') || '(none: no streams file)';
    throw new UsageError(
      `no stream ${JSON.stringify(id)} in ${config.streamsFile ?? 'streams.yaml'}; known streams: ${known}`,
    );
  }
  return stream;
}

/** The Redis and key layout of `turbostream up` in this directory, else of the configuration. */
async function connectToStreams(config: TurboConfig): Promise<{ keys: KeyLayout; redis: RedisClient }> {
  const target = await commandTarget(config, process.cwd());
  if (target.note) process.stderr.write(`${target.note}\n`);
  return {
    keys: createKeyLayout(target.namespace),
    redis: await connectForCommand(target.redis, 'turbostream:streams'),
  };
}

const describe = (targets: readonly AnalysisTarget[], samples?: TargetSamples) => formatTargets(targets, samples);

export async function setStreamTargets(options: {
  id: string;
  provider?: string;
  model?: string;
  compare: string[];
  noCompare: boolean;
  reset: boolean;
}): Promise<void> {
  const config = loadConfigOrExit();
  const stream = findStream(config, options.id);
  const { keys, redis } = await connectToStreams(config);
  try {
    if (options.reset) {
      const had = await clearTargetOverride(redis, keys, stream.id);
      process.stdout.write(
        `stream ${stream.id}: ${had ? 'back to' : 'already on'} the streams file's ` +
          `targets: ${describe(stream.targets, stream.samples)}\n`,
      );
      return;
    }
    if (!options.provider)
      throw new UsageError('streams set needs --provider P (or --reset)\nRun `turbostream streams --help`.');
    const main = resolveTarget(options.provider, options.model, config, '--provider');
    const override = (await readTargetOverrides(redis, keys)).get(stream.id);
    const current = override?.targets ?? stream.targets;
    const currentSamples = override ? override.samples : stream.samples;
    // Comparison targets kept from before keep their samples; those given here analyse every window unless `@share`.
    const compare = options.noCompare
      ? []
      : options.compare.length > 0
        ? options.compare.map((text) => parseTarget(text, config, '--compare'))
        : current.slice(1).map((target) => ({ target, sample: sampleOf(currentSamples, target) }));
    const kept = compare.filter(({ target }) => target.provider !== main.provider || target.model !== main.model);
    const targets = [main, ...kept.map(({ target }) => target)];
    const samples = partialSamples(kept.map(({ target, sample }) => [target, sample]));
    await writeTargetOverride(redis, keys, stream.id, targets, `${userInfo().username}@${hostname()}`, samples);
    process.stdout.write(
      `stream ${stream.id}: from the next window on, analysed by ${describe(targets, samples)} ` +
        `(was ${describe(current, currentSamples)})\n`,
    );
    for (const target of targets) {
      if ((await liveAnalyzers(redis, keys, target.provider, Date.now())).length === 0) {
        process.stdout.write(
          `warning: no live analyzer serves ${target.provider} right now: its windows wait ` +
            `in ${analysisQueueName(target.provider)} until one does\n`,
        );
      }
    }
  } finally {
    await closeRedis(redis);
  }
}

export async function listStreams({ json }: { json: boolean }): Promise<void> {
  const config = loadConfigOrExit();
  const { keys, redis } = await connectToStreams(config);
  const queues = new AnalysisProducer({ redis, keys });
  const ledger = new BudgetLedger({ redis, keys });
  try {
    const rows = await readStreamOverview({
      redis,
      keys,
      streams: config.streams,
      providers: config.providers,
      queues,
      ledger,
    });
    if (json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (rows.length === 0)
      process.stdout.write('no streams configured (no streams file): `turbostream up` runs the demo\n');
    const exhaustedLines = (what: string, status: BudgetStatus) =>
      status.exhausted.map((spent) => `  BUDGET    ${exhaustedText(what, spent)}\n`).join('');
    for (const row of rows) {
      process.stdout.write(`${row.id}  ${row.url}\n`);
      const file = config.streams.find((stream) => stream.id === row.id);
      const origin = row.override
        ? `  (set while running by ${row.override.setBy} at ${row.override.setAt}; file: ` +
          `${describe(file?.targets ?? [], file?.samples)})`
        : '  (from the streams file)';
      process.stdout.write(`  targets   ${describe(row.targets, row.samples)}${origin}\n`);
      if (row.status) {
        process.stdout.write(
          `  windower  ${row.status.owner}, checkpoint ${row.status.checkpoint ?? '(none yet)'}` +
            `${row.status.backpressured ? ', paused (a full queue, or a spent budget: see BUDGET)' : ''}, as of ${row.status.updatedAt}\n`,
        );
        for (const unserved of row.status.unserved) process.stdout.write(`  MISSING   ${missingText(unserved)}\n`);
      } else {
        process.stdout.write('  windower  (no status: no windower owns this stream right now)\n');
      }
      const streamBudget = describeBudget(row.budget.limits, row.budget);
      if (streamBudget) process.stdout.write(`  budget    ${streamBudget}\n`);
      process.stdout.write(exhaustedLines(`stream ${row.id}`, row.budget));
      for (const { provider, analyzers, jobs, budget } of row.providers) {
        const spent = describeBudget(budget.limits, budget);
        process.stdout.write(
          `  ${provider.padEnd(12)} ${analyzers} live analyzer${analyzers === 1 ? '' : 's'}; jobs ` +
            `waiting ${jobs.waiting ?? 0}, active ${jobs.active ?? 0}, delayed ${jobs.delayed ?? 0}, ` +
            `failed ${jobs.failed ?? 0}, completed ${jobs.completed ?? 0}${spent ? `; budget ${spent}` : ''}\n`,
        );
        process.stdout.write(exhaustedLines(`provider ${provider}`, budget));
      }
    }
  } finally {
    await queues.close();
    await closeRedis(redis);
  }
}
