import type { ChildSpec } from './supervised-child.js';

export interface StackPlanOptions {
  /** Analyzer replicas, named `analyzer-1` … `analyzer-N`. */
  analyzers: number;
  /** The Node binary. */
  command: string;
  /** What runs `turbostream`: its Node flags and the CLI script. */
  cliArgs: string[];
  /** The environment every child inherits. */
  env: Record<string, string | undefined>;
  /** Set in every child's environment, over `env` (REDIS_URL, TURBOSTREAM_STREAMS_FILE, …). */
  common: Record<string, string>;
  /** Runs `turbostream demo-feed` as a process of its own. */
  demo?: { port: number; rate: number };
  /**
   * The first health port: ingest gets it, the windower the next, the
   * analyzers the ones after (0: no health endpoints).
   * @defaultValue 0
   */
  healthPort?: number;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * The processes of `turbostream stack`, in start order: the demo feed (when
 * there is one), the analyzers, the windower and ingest — the topology of
 * docker-compose.yml, consumers before producers. Each has its own instance
 * id (and health port when asked for).
 */
export function planStack(options: StackPlanOptions): ChildSpec[] {
  const base = { ...definedOnly(options.env), ...options.common };
  const healthPort = options.healthPort ?? 0;
  const service = (name: string, command: string, healthOffset: number): ChildSpec => ({
    name,
    command: options.command,
    args: [...options.cliArgs, command],
    env: {
      ...base,
      TURBOSTREAM_INSTANCE_ID: name,
      ...(healthPort > 0 ? { HEALTH_PORT: String(healthPort + healthOffset) } : {}),
    },
  });
  const specs: ChildSpec[] = [];
  if (options.demo) {
    specs.push({
      name: 'demo-feed',
      command: options.command,
      args: [
        ...options.cliArgs,
        'demo-feed',
        '--port',
        String(options.demo.port),
        '--host',
        '127.0.0.1',
        '--rate',
        String(options.demo.rate),
      ],
      env: base,
    });
  }
  for (let index = 1; index <= options.analyzers; index += 1)
    specs.push(service(`analyzer-${index}`, 'analyzer', 1 + index));
  specs.push(service('windower', 'windower', 1));
  specs.push(service('ingest', 'ingest', 0));
  return specs;
}
