import { closeRedis, createKeyLayout } from '@turbostream/redis';
import { buildReport } from '../report/build-report.js';
import { formatReport } from '../report/format-report.js';
import { loadConfigOrExit } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { connectForCommand } from '../runtime/redis-bootstrap.js';

/**
 * `turbostream report`: the scoreboard of the analysis records (the analyzer's `<namespace>:analyses`) written in the
 * last `sinceMs` by Redis's clock, for every stream or one. The streams file's streams are listed even without records,
 * and give each stream's target order (its own target first; targets set while running win).
 */
export async function report(options: {
  stream?: string;
  since: string;
  sinceMs: number;
  json: boolean;
}): Promise<void> {
  const config = loadConfigOrExit();
  const target = await commandTarget(config, process.cwd());
  if (target.note) process.stderr.write(`${target.note}\n`);
  const keys = createKeyLayout(target.namespace);
  const redis = await connectForCommand(target.redis, 'turbostream:report');
  try {
    const result = await buildReport({
      redis,
      keys,
      streams: config.streams,
      ...(options.stream === undefined ? {} : { stream: options.stream }),
      since: options.since,
      sinceMs: options.sinceMs,
    });
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
  } finally {
    await closeRedis(redis);
  }
}
