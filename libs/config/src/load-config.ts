import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  normalizeProviderId,
  PROVIDER_IDS,
  type ProviderId,
  type ProviderSettings,
  providerChoices,
} from '@turbostream/contracts';
import { type EnvFile, type EnvFileOrigin, readEnvFile } from './env-file.js';
import { type Env, EnvSchema, isSecretVariable, settingsOf } from './env-schema.js';
import { variableNameWarnings } from './lookalike-variables.js';
import { ConfigError, issuesToProblems } from './problems.js';
import { resolveProviders } from './provider-settings.js';
import { readStreamsFile, type StreamsResult } from './streams-file.js';
import type { ConfigProblem } from './types.js';

export interface LoadConfigOptions {
  /** The process environment; it wins over the env file. @defaultValue `process.env` is the caller's to pass */
  env: Record<string, string | undefined>;
  /** Where relative paths are resolved. */
  cwd: string;
  /**
   * The env file (a missing one is a problem), or `false` to read none.
   * @defaultValue `TURBOSTREAM_ENV_FILE` (a missing one is a problem), else `env.local` in `cwd` (optional)
   */
  envFile?: string | false;
}

/**
 * The outcome of {@link loadConfig}. Warnings (look-alike variable names,
 * unconfigured providers) never make it fail. `envFileName` is the env file
 * looked for, as messages name it (`undefined` when none was to be read).
 */
export type ConfigResult =
  | {
      ok: true;
      config: TurboConfig;
      warnings: ConfigProblem[];
      envFile: string | undefined;
      envFileName: string | undefined;
    }
  | { ok: false; problems: ConfigProblem[]; warnings: ConfigProblem[]; envFileName: string | undefined };

/** Where each variable came from, for problem messages. */
type SourceOf = (name: string) => string;

function displayName(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown.startsWith('..') || isAbsolute(shown) ? path : shown;
}

/** The env file to read and, when it was asked for by name, where (so a missing one is a problem naming it). */
function locateEnvFile({
  env,
  cwd,
  envFile,
}: LoadConfigOptions): { path: string; name: string; namedBy: EnvFileOrigin | undefined } | undefined {
  if (envFile === false) return undefined;
  const fromEnvironment = env.TURBOSTREAM_ENV_FILE === '' ? undefined : env.TURBOSTREAM_ENV_FILE;
  const path = resolve(cwd, envFile ?? fromEnvironment ?? 'env.local');
  const namedBy: EnvFileOrigin | undefined =
    envFile !== undefined
      ? { source: 'loadConfig', field: 'envFile' }
      : fromEnvironment !== undefined
        ? { source: 'environment', field: 'TURBOSTREAM_ENV_FILE' }
        : undefined;
  return { path, name: displayName(path, cwd), namedBy };
}

/** The variables that are set (an `undefined` entry of `process.env` is not). */
function definedVariables(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

interface EnvValidation {
  /** Every variable, an invalid one replaced by its default so the checks that depend on it can go on. */
  values: Env;
  problems: ConfigProblem[];
  /** The variables whose values were invalid. */
  invalid: ReadonlySet<string>;
}

/**
 * Validates every variable on its own, reporting each invalid one (secrets
 * unshown) and carrying on with its default, so that one bad value hides nothing.
 */
function validateVariables(merged: Record<string, string>, sourceOf: SourceOf): EnvValidation {
  const parsed = EnvSchema.safeParse(merged, { reportInput: true });
  if (parsed.success) return { values: parsed.data, problems: [], invalid: new Set() };
  const invalid = new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '')));
  const problems = issuesToProblems(parsed.error.issues, sourceOf, isSecretVariable, (name) => merged[name]);
  const withDefaults = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(merged).filter(([name]) => !invalid.has(name))),
  );
  if (!withDefaults.success)
    throw new Error(`the defaults of ${[...invalid].join(', ')} do not validate: ${withDefaults.error.message}`);
  return { values: withDefaults.data, problems, invalid };
}

/** The provider for streams that name none, or a problem when `DEFAULT_AI_PROVIDER` names no provider. */
function defaultProviderOf(
  values: Env,
  sourceOf: SourceOf,
): { provider: ProviderId | undefined; problems: ConfigProblem[] } {
  if (values.DEFAULT_AI_PROVIDER === undefined) return { provider: undefined, problems: [] };
  const id = normalizeProviderId(values.DEFAULT_AI_PROVIDER);
  if ((PROVIDER_IDS as readonly string[]).includes(id)) return { provider: id as ProviderId, problems: [] };
  const message =
    `unknown provider ${JSON.stringify(values.DEFAULT_AI_PROVIDER)}: expected one ` + `of ${providerChoices()}`;
  return {
    provider: undefined,
    problems: [{ source: sourceOf('DEFAULT_AI_PROVIDER'), field: 'DEFAULT_AI_PROVIDER', message }],
  };
}

/** Rules between variables; a rule involving an invalid variable is skipped (that variable is already reported). */
function crossFieldProblems(values: Env, invalid: ReadonlySet<string>, sourceOf: SourceOf): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const checkable = (...names: string[]) => names.every((name) => !invalid.has(name));
  if (
    checkable('INGEST_RECONNECT_MAX_MS', 'INGEST_RECONNECT_INITIAL_MS') &&
    values.INGEST_RECONNECT_MAX_MS < values.INGEST_RECONNECT_INITIAL_MS
  ) {
    problems.push({
      source: sourceOf('INGEST_RECONNECT_MAX_MS'),
      field: 'INGEST_RECONNECT_MAX_MS',
      message: 'expected at least INGEST_RECONNECT_INITIAL_MS',
    });
  }
  return problems;
}

/**
 * The Redis URL, and whether the user set it (`turbostream up` starts its own Redis only when not). `cluster` is set by
 * `REDIS_CLUSTER=true` or by several comma-separated URLs, which are the seed `nodes`.
 */
function redisSettings(url: Env['REDIS_URL'], clusterFlag: Env['REDIS_CLUSTER']) {
  const nodes = (url ?? 'redis://127.0.0.1:6379')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return {
    url: nodes[0] ?? 'redis://127.0.0.1:6379',
    explicit: url !== undefined,
    cluster: clusterFlag || nodes.length > 1,
    nodes,
  };
}

interface Validated {
  values: Env;
  providers: Record<ProviderId, ProviderSettings>;
  defaultProvider: ProviderId | undefined;
  streams: StreamsResult & { exists: boolean };
  streamsPath: string;
  pricesPath: string;
}

/**
 * The effective configuration, built from the validated variables (each typed by {@link EnvSchema}) and the streams
 * file; {@link TurboConfig} is its type.
 */
function buildConfig({ values, providers, defaultProvider, streams, streamsPath, pricesPath }: Validated) {
  return {
    redis: redisSettings(values.REDIS_URL, values.REDIS_CLUSTER),
    /** `/healthz` and `/readyz` (port 0: none). */
    health: settingsOf(values, 'health'),
    /** `turbostream dashboard`'s address and token (`DASHBOARD_TOKEN`: required off loopback, a secret). */
    dashboard: settingsOf(values, 'dashboard'),
    /** On SIGTERM, how long in-flight work may take before it is handed back. */
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
    namespace: values.TURBOSTREAM_NAMESPACE,
    instanceId: values.TURBOSTREAM_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    log: settingsOf(values, 'log'),
    /** The streams file that was read, or `undefined` when there is none (the default path does not exist). */
    streamsFile: streams.exists ? streamsPath : undefined,
    streams: streams.streams,
    /**
     * The user's price file (absolute; `TURBOSTREAM_PRICES_FILE`, default `prices.yaml`): it need not exist (the
     * built-in prices apply alone); the analyzer follows it while it runs. Its format is libs/costs'.
     */
    pricesFile: pricesPath,
    /** The provider of streams that name none (`DEFAULT_AI_PROVIDER`). */
    defaultProvider,
    providers,
    llm: settingsOf(values, 'llm'),
    heuristic: settingsOf(values, 'heuristic'),
    ingest: settingsOf(values, 'ingest'),
    windower: settingsOf(values, 'windower'),
    analyzer: settingsOf(values, 'analyzer'),
  };
}

/** The effective configuration (see {@link loadConfig}): its types are the env schema's and the streams schema's. */
export type TurboConfig = ReturnType<typeof buildConfig>;

const NO_ENV_FILE: EnvFile = { path: '', exists: false, values: {}, problems: [] };

/**
 * Loads the env file and the streams file, validates both, and returns the
 * effective configuration or every problem found in one pass: an invalid
 * variable is reported and replaced by its default so that `DEFAULT_AI_PROVIDER`,
 * the rules between variables and the streams file are still checked.
 * Variables that look like ours but are not are warnings.
 */
export function loadConfig(options: LoadConfigOptions): ConfigResult {
  const { env, cwd } = options;
  const located = locateEnvFile(options);
  const file = located ? readEnvFile(located.path, located.name, located.namedBy) : NO_ENV_FILE;
  const real = definedVariables(env);
  const merged: Record<string, string> = { ...file.values, ...real };
  const sourceOf: SourceOf = (name) =>
    name in real ? 'environment' : name in file.values ? (located?.name ?? 'default') : 'default';

  const { values, problems: variableProblems, invalid } = validateVariables(merged, sourceOf);
  const providers = resolveProviders(values);
  const defaultProvider = defaultProviderOf(values, sourceOf);
  const streamsPath = resolve(cwd, values.TURBOSTREAM_STREAMS_FILE ?? 'streams.yaml');
  const streams = readStreamsFile(
    streamsPath,
    displayName(streamsPath, cwd),
    values.TURBOSTREAM_STREAMS_FILE !== undefined,
    providers,
    defaultProvider.provider,
  );

  const pricesPath = resolve(cwd, values.TURBOSTREAM_PRICES_FILE ?? 'prices.yaml');
  // A price file named by the variable must be there (a missing default one is fine); its contents are checked by
  // libs/costs, which config does not import.
  const pricesProblems =
    values.TURBOSTREAM_PRICES_FILE !== undefined && !existsSync(pricesPath)
      ? [
          {
            source: sourceOf('TURBOSTREAM_PRICES_FILE'),
            field: 'TURBOSTREAM_PRICES_FILE',
            message: `${displayName(pricesPath, cwd)} does not exist`,
          },
        ]
      : [];

  const problems = [
    ...file.problems,
    ...variableProblems,
    ...defaultProvider.problems,
    ...crossFieldProblems(values, invalid, sourceOf),
    ...streams.problems,
    ...pricesProblems,
  ];
  const warnings = [
    ...(located ? variableNameWarnings(file.values, located.name, { inEnvFile: true }) : []),
    ...variableNameWarnings(real, 'environment', { inEnvFile: false }),
    ...streams.warnings,
  ];
  const envFileName = located?.name;
  if (problems.length > 0) return { ok: false, problems, warnings, envFileName };
  const config = buildConfig({
    values,
    providers,
    defaultProvider: defaultProvider.provider,
    streams,
    streamsPath,
    pricesPath,
  });
  return { ok: true, config, warnings, envFile: file.exists ? file.path : undefined, envFileName };
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
  return loadConfigOrThrow({ env, cwd: '/nonexistent/turbostream', envFile: false });
}

/**
 * Hands each service its part of the configuration: only the analyzer holds the providers (and their keys); the
 * windower sees them only through the streams' resolved targets, and `jobAttempts` (`ANALYZER_ATTEMPTS`) is set on each
 * job it enqueues.
 */
export function serviceConfigs({ redis, namespace, instanceId, streams, ...config }: TurboConfig) {
  return {
    ingest: { redis, namespace, streams, ingest: config.ingest },
    windower: {
      redis,
      namespace,
      streams,
      instanceId,
      windower: config.windower,
      jobAttempts: config.analyzer.attempts,
    },
    analyzer: {
      redis,
      namespace,
      instanceId,
      providers: config.providers,
      llm: config.llm,
      heuristic: config.heuristic,
      analyzer: config.analyzer,
      pricesFile: config.pricesFile,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    },
  };
}

/** Each service's part of the configuration (see {@link serviceConfigs}). */
export type ServiceConfigs = ReturnType<typeof serviceConfigs>;
