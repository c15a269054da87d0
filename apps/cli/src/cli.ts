import { parseArgs } from 'node:util';
import { DEFAULT_CORPUS_SEED } from '@turbostream/eval';
import {
  ALERTS_HELP,
  ASK_HELP,
  CONFIG_HELP,
  DASHBOARD_HELP,
  DEMO_FEED_HELP,
  EVAL_HELP,
  MAIN_HELP,
  PROVIDERS_HELP,
  REPORT_HELP,
  SERVICE_HELP,
  STACK_HELP,
  STREAMS_HELP,
  UP_HELP,
} from './help.js';
import { UsageError } from './runtime/load.js';
import type { PrivateRedisOptions } from './runtime/redis-bootstrap.js';

export { MAIN_HELP };

// Each command's module is imported when that command runs, not before: `--help`
// and a usage error load no SDK and no Redis client.

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new UsageError(`${name} expects a whole number, got ${JSON.stringify(value)}`);
  return parsed;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parse(command: string, args: string[], options: OptionSpec): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    throw new UsageError(
      `${error instanceof Error ? error.message : String(error)}\nRun \`turbostream ${command} --help\`.`,
    );
  }
}

const text = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};
const flag = (values: Values, name: string): boolean => values[name] === true;

/** `--private-redis` and `--redis-port N` of `up` and `stack`. */
function privateRedisOptions(values: Values): PrivateRedisOptions {
  const port = text(values, 'redis-port');
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535))
    throw new UsageError(`--redis-port expects a port number from 1 to 65535, got ${JSON.stringify(port)}`);
  return { privateRedis: flag(values, 'private-redis'), ...(port === undefined ? {} : { redisPort: Number(port) }) };
}

/** Runs one command; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const print = (message: string) => process.stdout.write(`${message}\n`);
  const help = (values: Values, message: string): boolean => {
    if (flag(values, 'help')) print(message);
    return flag(values, 'help');
  };
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      print(MAIN_HELP);
      return 0;
    case 'up': {
      const { values } = parse(command, rest, {
        json: { type: 'boolean' },
        'private-redis': { type: 'boolean' },
        'redis-port': { type: 'string' },
        'no-dashboard': { type: 'boolean' },
      });
      if (help(values, UP_HELP)) return 0;
      const { up } = await import('./commands/up.js');
      await up({
        json: flag(values, 'json'),
        dashboard: !flag(values, 'no-dashboard'),
        ...privateRedisOptions(values),
      });
      return 0;
    }
    case 'ingest':
    case 'windower':
    case 'analyzer': {
      const { values } = parse(command, rest, {});
      if (help(values, SERVICE_HELP[command])) return 0;
      const { runService } = await import('./commands/service.js');
      await runService(command);
      return 0;
    }
    case 'stack': {
      const { values } = parse(command, rest, {
        analyzers: { type: 'string' },
        demo: { type: 'boolean' },
        'demo-rate': { type: 'string' },
        json: { type: 'boolean' },
        'private-redis': { type: 'boolean' },
        'redis-port': { type: 'string' },
      });
      if (help(values, STACK_HELP)) return 0;
      const { stack, stackOptions } = await import('./commands/stack.js');
      await stack(
        stackOptions({
          analyzers: text(values, 'analyzers'),
          demoRate: text(values, 'demo-rate'),
          demo: flag(values, 'demo'),
          json: flag(values, 'json'),
        }),
        privateRedisOptions(values),
      );
      return 0;
    }
    case 'alerts': {
      const { values } = parse(command, rest, {
        stream: { type: 'string' },
        replay: { type: 'string' },
        json: { type: 'boolean' },
      });
      if (help(values, ALERTS_HELP)) return 0;
      const stream = text(values, 'stream');
      const { alerts } = await import('./commands/alerts.js');
      await alerts({
        ...(stream ? { stream } : {}),
        replay: integer(text(values, 'replay'), '--replay', 0),
        json: flag(values, 'json'),
      });
      return 0;
    }
    case 'streams': {
      const { values, positionals } = parse(command, rest, {
        json: { type: 'boolean' },
        provider: { type: 'string' },
        model: { type: 'string' },
        compare: { type: 'string', multiple: true },
        'no-compare': { type: 'boolean' },
        reset: { type: 'boolean' },
      });
      if (help(values, STREAMS_HELP)) return 0;
      const { listStreams, setStreamTargets } = await import('./commands/streams.js');
      if (positionals.length === 0) {
        await listStreams({ json: flag(values, 'json') });
        return 0;
      }
      const [verb, id, ...extra] = positionals;
      if (verb !== 'set' || !id || extra.length > 0)
        throw new UsageError(`expected \`turbostream streams set <id> …\`\n\n${STREAMS_HELP}`);
      const compare = values.compare;
      const provider = text(values, 'provider');
      const model = text(values, 'model');
      await setStreamTargets({
        id,
        ...(provider ? { provider } : {}),
        ...(model ? { model } : {}),
        compare: Array.isArray(compare) ? compare.filter((item): item is string => typeof item === 'string') : [],
        noCompare: flag(values, 'no-compare'),
        reset: flag(values, 'reset'),
      });
      return 0;
    }
    case 'eval': {
      const { values, positionals } = parse(command, rest, {
        target: { type: 'string', multiple: true },
        corpus: { type: 'string', multiple: true },
        seed: { type: 'string' },
        json: { type: 'boolean' },
      });
      if (help(values, EVAL_HELP)) return 0;
      if (positionals.length > 0)
        throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}\nRun \`turbostream eval --help\`.`);
      const strings = (name: string) => {
        const value = values[name];
        return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
      };
      const { evaluate } = await import('./commands/eval.js');
      return evaluate({
        targets: strings('target'),
        corpora: strings('corpus'),
        seed: integer(text(values, 'seed'), '--seed', DEFAULT_CORPUS_SEED),
        json: flag(values, 'json'),
      });
    }
    case 'report': {
      const { values, positionals } = parse(command, rest, {
        stream: { type: 'string' },
        since: { type: 'string' },
        json: { type: 'boolean' },
      });
      if (help(values, REPORT_HELP)) return 0;
      if (positionals.length > 0)
        throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}\nRun \`turbostream report --help\`.`);
      const { parseSince } = await import('./report/format-report.js');
      const since = text(values, 'since') ?? '1h';
      const sinceMs = parseSince(since);
      if (sinceMs === undefined)
        throw new UsageError(
          `--since expects a duration like 30m, 1h or 2d (at most 30d), got ${JSON.stringify(since)}`,
        );
      const stream = text(values, 'stream');
      const { report } = await import('./commands/report.js');
      await report({ ...(stream === undefined ? {} : { stream }), since, sinceMs, json: flag(values, 'json') });
      return 0;
    }
    case 'dashboard': {
      const { values, positionals } = parse(command, rest, { host: { type: 'string' }, port: { type: 'string' } });
      if (help(values, DASHBOARD_HELP)) return 0;
      if (positionals.length > 0)
        throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}\nRun \`turbostream dashboard --help\`.`);
      const port = text(values, 'port');
      if (port !== undefined && !(/^\d+$/.test(port) && Number(port) <= 65_535))
        throw new UsageError(`--port expects a port number from 0 to 65535, got ${JSON.stringify(port)}`);
      const host = text(values, 'host');
      const { dashboard } = await import('./commands/dashboard.js');
      await dashboard({
        ...(host === undefined ? {} : { host }),
        ...(port === undefined ? {} : { port: Number(port) }),
      });
      return 0;
    }
    case 'ask': {
      const { values, positionals } = parse(command, rest, {
        provider: { type: 'string' },
        model: { type: 'string' },
        'max-tokens-in': { type: 'string' },
        json: { type: 'boolean' },
      });
      if (help(values, ASK_HELP)) return 0;
      const [stream, ...words] = positionals;
      if (!stream || words.length === 0)
        throw new UsageError(`expected \`turbostream ask <stream> "question"\`\n\n${ASK_HELP}`);
      const maxTokensText = text(values, 'max-tokens-in');
      const maxTokensIn = maxTokensText === undefined ? undefined : integer(maxTokensText, '--max-tokens-in', 0);
      if (maxTokensIn === 0) throw new UsageError('--max-tokens-in expects a number of tokens above 0');
      const provider = text(values, 'provider');
      const model = text(values, 'model');
      const { ask } = await import('./commands/ask.js');
      return ask({
        stream,
        question: words.join(' '),
        ...(provider === undefined ? {} : { provider }),
        ...(model === undefined ? {} : { model }),
        ...(maxTokensIn === undefined ? {} : { maxTokensIn }),
        json: flag(values, 'json'),
      });
    }
    case 'providers': {
      const { values } = parse(command, rest, { check: { type: 'boolean' }, json: { type: 'boolean' } });
      if (help(values, PROVIDERS_HELP)) return 0;
      const { providers } = await import('./commands/providers.js');
      return providers({ checkCalls: flag(values, 'check'), json: flag(values, 'json') });
    }
    case 'demo-feed': {
      const { values } = parse(command, rest, {
        port: { type: 'string' },
        host: { type: 'string' },
        rate: { type: 'string' },
        'anomaly-every': { type: 'string' },
      });
      if (help(values, DEMO_FEED_HELP)) return 0;
      const { demoFeed } = await import('./commands/demo-feed.js');
      await demoFeed({
        port: integer(text(values, 'port'), '--port', 8765),
        host: text(values, 'host') ?? '127.0.0.1',
        rate: Math.max(1, integer(text(values, 'rate'), '--rate', 20)),
        anomalyEvery: Math.max(1, integer(text(values, 'anomaly-every'), '--anomaly-every', 12)),
      });
      return 0;
    }
    case 'config': {
      const { values, positionals } = parse(command, rest, {});
      if (help(values, CONFIG_HELP)) return 0;
      const { configCheck } = await import('./commands/config-check.js');
      return configCheck(positionals);
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
  }
}
