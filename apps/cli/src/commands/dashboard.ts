import { startDashboard } from '../dashboard/start.js';
import { loadConfigOrExit, rootLogger } from '../runtime/load.js';
import { commandTarget } from '../runtime/local-instance.js';
import { untilSignal } from '../runtime/shutdown.js';

/** `turbostream dashboard`: serves the web dashboard until Ctrl-C. */
export async function dashboard(options: { host?: string; port?: number }): Promise<void> {
  const say = (line: string) => process.stderr.write(`turbostream: ${line}\n`);
  const config = loadConfigOrExit();
  const host = options.host ?? config.dashboard.host;
  const port = options.port ?? config.dashboard.port;
  const target = await commandTarget(config, process.cwd());
  if (target.note) say(target.note);
  const logger = rootLogger(config).child({ service: 'dashboard' });
  const running = await startDashboard({
    config,
    redis: target.redis,
    namespace: target.namespace,
    host,
    port,
    logger,
  });
  say(`dashboard at ${running.url} (namespace ${target.namespace})`);
  if (config.dashboard.token !== undefined)
    say('every request needs DASHBOARD_TOKEN: open the address once with ?token=<DASHBOARD_TOKEN> (a cookie keeps it)');
  if (config.streams.length === 0)
    say('no streams file: the streams view shows none (run the dashboard where streams.yaml is)');
  say('Ctrl-C stops');
  await untilSignal();
  await running.close();
}
