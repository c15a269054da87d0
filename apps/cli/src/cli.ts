import { parseArgs } from 'node:util';
import { ALERTS_HELP, alerts } from './commands/alerts.js';
import { CONFIG_HELP, configCheck } from './commands/config-check.js';
import { DEMO_FEED_HELP, demoFeed } from './commands/demo-feed.js';
import { runService, SERVICE_HELP } from './commands/service.js';
import { UP_HELP, up } from './commands/up.js';
import { UsageError } from './runtime/load.js';

export const MAIN_HELP = `turbostream — watch live WebSocket feeds with the LLM of your choice

Usage: turbostream <command> [options]

Commands:
  up             run ingest, windower and analyzer in one process (the laptop way)
  ingest         run the ingest service (WebSocket sources → Redis streams)
  windower       run the windower service (Redis streams → analysis jobs)
  analyzer       run an analyzer (analysis jobs → alerts); run several to scale
  alerts         follow published alerts
  demo-feed      serve a local market-like feed with injected anomalies
  config check   validate env.local and streams.yaml; print the effective configuration

Run \`turbostream <command> --help\` for a command's options.
Configuration: env.local (see env.local.example) and streams.yaml (see streams.example.yaml).`;

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new UsageError(`${name} expects a whole number, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Runs one command; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const print = (text: string) => process.stdout.write(`${text}\n`);
  const parse = <T extends Parameters<typeof parseArgs>[0]['options']>(options: T) => {
    try {
      return parseArgs({ args: rest, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${error instanceof Error ? error.message : String(error)}\nRun \`turbostream ${command} --help\`.`);
    }
  };
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      print(MAIN_HELP);
      return 0;
    case 'up': {
      const { values } = parse({ json: { type: 'boolean' } });
      if (values.help) return print(UP_HELP), 0;
      await up({ json: values.json === true });
      return 0;
    }
    case 'ingest':
    case 'windower':
    case 'analyzer': {
      const { values } = parse({});
      if (values.help) return print(SERVICE_HELP[command]), 0;
      await runService(command);
      return 0;
    }
    case 'alerts': {
      const { values } = parse({ stream: { type: 'string' }, replay: { type: 'string' }, json: { type: 'boolean' } });
      if (values.help) return print(ALERTS_HELP), 0;
      const stream = typeof values.stream === 'string' ? values.stream : undefined;
      await alerts({ ...(stream ? { stream } : {}), replay: integer(values.replay as string | undefined, '--replay', 0), json: values.json === true });
      return 0;
    }
    case 'demo-feed': {
      const { values } = parse({ port: { type: 'string' }, host: { type: 'string' }, rate: { type: 'string' }, 'anomaly-every': { type: 'string' } });
      if (values.help) return print(DEMO_FEED_HELP), 0;
      await demoFeed({
        port: integer(values.port as string | undefined, '--port', 8765),
        host: typeof values.host === 'string' ? values.host : '127.0.0.1',
        rate: Math.max(1, integer(values.rate as string | undefined, '--rate', 20)),
        anomalyEvery: Math.max(1, integer(values['anomaly-every'] as string | undefined, '--anomaly-every', 12)),
      });
      return 0;
    }
    case 'config': {
      const { values, positionals } = parse({});
      if (values.help || positionals[0] !== 'check') {
        print(CONFIG_HELP);
        return values.help ? 0 : 2;
      }
      return configCheck();
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
  }
}
