import { hostname, userInfo } from 'node:os';
import type { TurboConfig } from '@turbostream/config';
import { type AnalysisTarget, formatTargets, type TargetSamples } from '@turbostream/contracts';
import { BudgetLedger, type BudgetStatus } from '@turbostream/costs';
import { escapeForTerminal } from '@turbostream/logging';
import { AnalysisProducer } from '@turbostream/queue';
import { closeRedis, createKeyLayout, type KeyLayout, type RedisClient } from '@turbostream/redis';
import { loadConfigOrExit } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';
import { findStream, type SetTargetsRequest, setStreamTargetsIn } from '../streams/set-targets.js';
import {
  describeBudget,
  describeLag,
  describeSource,
  exhaustedText,
  missingText,
  readStreamOverview,
} from '../streams/stream-overview.js';

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

export async function setStreamTargets(options: SetTargetsRequest): Promise<void> {
  const config = loadConfigOrExit();
  findStream(config, options.id);
  const { keys, redis } = await connectToStreams(config);
  try {
    const result = await setStreamTargetsIn(
      { redis, keys, config, setBy: `${userInfo().username}@${hostname()}` },
      options,
    );
    process.stdout.write(`${result.message}\n`);
    for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
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
      // The reason a source went down can come from the remote end: shown escaped.
      const source = describeSource(row.source);
      process.stdout.write(`  source    ${source === undefined ? '(not recorded yet)' : escapeForTerminal(source)}\n`);
      process.stdout.write(`  lag       ${describeLag(row.lag)}\n`);
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
