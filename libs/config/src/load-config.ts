import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { normalizeProviderId, PROVIDER_IDS, type ProviderId } from '@turbostream/contracts';
import { readEnvFile } from './env-file.js';
import { EnvSchema, SECRET_VARIABLES } from './env-schema.js';
import { ConfigError, issuesToProblems } from './problems.js';
import { resolveProviders } from './provider-settings.js';
import { readStreamsFile } from './streams-file.js';
import type { ConfigProblem, TurboConfig } from './types.js';

export interface LoadConfigOptions {
  /** The process environment; it wins over the env file. @defaultValue `process.env` is the caller's to pass */
  env: Record<string, string | undefined>;
  /** Where relative paths are resolved. */
  cwd: string;
  /** The env file. @defaultValue `TURBOSTREAM_ENV_FILE`, else `env.local` in `cwd` */
  envFile?: string;
}

export type ConfigResult =
  | { ok: true; config: TurboConfig; warnings: ConfigProblem[]; envFile: string | undefined }
  | { ok: false; problems: ConfigProblem[]; warnings: ConfigProblem[] };

function displayName(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown.startsWith('..') || isAbsolute(shown) ? path : shown;
}

function redisSettings(url: string | undefined, clusterFlag: boolean): TurboConfig['redis'] {
  const nodes = (url ?? 'redis://127.0.0.1:6379').split(',').map((part) => part.trim()).filter(Boolean);
  return { url: nodes[0] ?? 'redis://127.0.0.1:6379', explicit: url !== undefined, cluster: clusterFlag || nodes.length > 1, nodes };
}

/**
 * Loads `env.local` and the streams file, validates both, and returns the
 * effective configuration or every problem found (never just the first).
 */
export function loadConfig({ env, cwd, envFile }: LoadConfigOptions): ConfigResult {
  const envPath = resolve(cwd, envFile ?? env.TURBOSTREAM_ENV_FILE ?? 'env.local');
  const envName = displayName(envPath, cwd);
  const file = readEnvFile(envPath, envName);
  const real = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const merged: Record<string, string> = { ...file.values, ...real };
  const sourceOf = (name: string) => (name in real ? 'environment' : name in file.values ? envName : 'default');

  const problems: ConfigProblem[] = [...file.problems];
  const parsedEnv = EnvSchema.safeParse(merged, { reportInput: true });
  if (!parsedEnv.success) {
    problems.push(...issuesToProblems(parsedEnv.error.issues, sourceOf, (name) => SECRET_VARIABLES.has(name), (name) => merged[name]));
    return { ok: false, problems, warnings: [] };
  }
  const values = parsedEnv.data;
  const providers = resolveProviders(values);

  let defaultProvider: ProviderId | undefined;
  if (values.DEFAULT_AI_PROVIDER !== undefined) {
    const id = normalizeProviderId(values.DEFAULT_AI_PROVIDER);
    if ((PROVIDER_IDS as readonly string[]).includes(id)) defaultProvider = id as ProviderId;
    else problems.push({ source: sourceOf('DEFAULT_AI_PROVIDER'), field: 'DEFAULT_AI_PROVIDER', message: `unknown provider ${JSON.stringify(values.DEFAULT_AI_PROVIDER)}: expected one of ${PROVIDER_IDS.join(', ')}` });
  }
  if (values.INGEST_RECONNECT_MAX_MS < values.INGEST_RECONNECT_INITIAL_MS) {
    problems.push({ source: sourceOf('INGEST_RECONNECT_MAX_MS'), field: 'INGEST_RECONNECT_MAX_MS', message: 'expected at least INGEST_RECONNECT_INITIAL_MS' });
  }

  const streamsPath = resolve(cwd, values.TURBOSTREAM_STREAMS_FILE ?? 'streams.yaml');
  const streams = readStreamsFile(streamsPath, displayName(streamsPath, cwd), values.TURBOSTREAM_STREAMS_FILE !== undefined, providers, defaultProvider);
  problems.push(...streams.problems);
  if (problems.length > 0) return { ok: false, problems, warnings: streams.warnings };

  const config: TurboConfig = {
    redis: redisSettings(values.REDIS_URL, values.REDIS_CLUSTER),
    health: { port: values.HEALTH_PORT, host: values.HEALTH_HOST },
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
    namespace: values.TURBOSTREAM_NAMESPACE,
    instanceId: values.TURBOSTREAM_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    log: { level: values.LOG_LEVEL, format: values.LOG_FORMAT },
    streamsFile: streams.exists ? streamsPath : undefined,
    streams: streams.streams,
    defaultProvider,
    providers,
    llm: { maxTokens: values.LLM_MAX_TOKENS, temperature: values.LLM_TEMPERATURE, timeoutMs: values.LLM_TIMEOUT_MS },
    heuristic: { threshold: values.HEURISTIC_THRESHOLD },
    ingest: {
      maxFrameBytes: values.INGEST_MAX_FRAME_BYTES,
      maxBufferedMessages: values.INGEST_MAX_BUFFERED_MESSAGES,
      batchSize: values.INGEST_BATCH_SIZE,
      pingIntervalMs: values.INGEST_PING_INTERVAL_MS,
      reconnectInitialMs: values.INGEST_RECONNECT_INITIAL_MS,
      reconnectMaxMs: values.INGEST_RECONNECT_MAX_MS,
    },
    windower: { pollMs: values.WINDOWER_POLL_MS, leaseMs: values.WINDOWER_LEASE_MS, maxQueued: values.WINDOWER_MAX_QUEUED, retentionMs: values.WINDOWER_RETENTION_MS },
    analyzer: { concurrency: values.ANALYZER_CONCURRENCY, lockMs: values.ANALYZER_LOCK_MS, attempts: values.ANALYZER_ATTEMPTS },
  };
  return { ok: true, config, warnings: streams.warnings, envFile: file.exists ? envPath : undefined };
}

/** Like {@link loadConfig}, but throws a {@link ConfigError} listing every problem. */
export function loadConfigOrThrow(options: LoadConfigOptions): TurboConfig {
  const result = loadConfig(options);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

/**
 * The configuration with every default and the given variables only: no
 * env file, no streams file. For tests and tools that build on the defaults.
 */
export function defaultConfig(env: Record<string, string | undefined> = {}): TurboConfig {
  return loadConfigOrThrow({ env: { TURBOSTREAM_ENV_FILE: '/nonexistent/turbostream/env.local', ...env }, cwd: '/nonexistent/turbostream' });
}
