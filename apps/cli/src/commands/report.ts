import { formatTarget } from '@turbostream/contracts';
import {
  ANALYSIS_LOG_MAX_LENGTH,
  closeRedis,
  createKeyLayout,
  readAnalysisLog,
  readTargetOverrides,
  serverTime,
} from '@turbostream/redis';
import { formatReport, type Report } from '../report/format-report.js';
import { scoreboard } from '../report/scoreboard.js';
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
    const to = await serverTime(redis, keys.analyses);
    const from = to - options.sinceMs;
    const read = await readAnalysisLog(redis, keys, { from });
    const overrides = await readTargetOverrides(redis, keys);
    const wanted = (streamId: string) => options.stream === undefined || streamId === options.stream;
    const records = read.analyses.filter(({ record }) => wanted(record.streamId));
    const order = (streamId: string) => {
      const targets =
        overrides.get(streamId)?.targets ?? config.streams.find((stream) => stream.id === streamId)?.targets ?? [];
      return targets.map(formatTarget);
    };
    const board = scoreboard(records, order);
    const listed = new Set(board.streams.map((stream) => stream.streamId));
    const streams = [
      ...board.streams,
      ...config.streams
        .filter((stream) => wanted(stream.id) && !listed.has(stream.id))
        .map((stream) => ({ streamId: stream.id, targets: [], agreement: [] })),
    ].sort((left, right) => left.streamId.localeCompare(right.streamId));
    if (options.stream !== undefined && streams.length === 0)
      streams.push({ streamId: options.stream, targets: [], agreement: [] });
    const result: Report = {
      v: 1,
      since: options.since,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      stream: options.stream ?? null,
      log: {
        key: keys.analyses,
        records: records.length,
        unreadable: read.unreadable,
        duplicates: board.duplicates,
        oldestHeld: read.oldestHeld === undefined ? null : new Date(read.oldestHeld).toISOString(),
        length: read.length,
        maxLength: ANALYSIS_LOG_MAX_LENGTH,
        trimmed: read.length >= ANALYSIS_LOG_MAX_LENGTH && read.oldestHeld !== undefined && read.oldestHeld > from,
      },
      streams,
    };
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
  } finally {
    await closeRedis(redis);
  }
}
