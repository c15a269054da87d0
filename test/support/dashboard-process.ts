import { waitFor } from '@turbostream/testkit';
import { ServiceProcess } from './service-process.js';

/** A `turbostream dashboard` process and the address it printed. */
export interface DashboardProcess {
  process: ServiceProcess;
  /** `http://127.0.0.1:PORT/` */
  url: string;
}

/**
 * Starts `turbostream dashboard --port 0 …` and waits for the address it prints (`dashboard at http://…`); with
 * `--host 0.0.0.0` the address to use from here is on 127.0.0.1.
 */
export async function startDashboardProcess(options: {
  cwd: string;
  env: Record<string, string>;
  args?: string[];
}): Promise<DashboardProcess> {
  const service = new ServiceProcess('dashboard', ['dashboard', '--port', '0', ...(options.args ?? [])], options);
  const exited = service.exited.then((code) => {
    throw new Error(`the dashboard exited (${code}) before printing its address:\n${service.output}`);
  });
  const port = await Promise.race([
    waitFor(() => /dashboard at http:\/\/[^\s/]+:(\d+)\//.exec(service.output)?.[1], {
      timeoutMs: 20_000,
      description: 'the dashboard to print its address',
    }),
    exited,
  ]);
  exited.catch(() => {});
  return { process: service, url: `http://127.0.0.1:${port}/` };
}
