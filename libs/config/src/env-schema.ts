import {
  type NumberFormat,
  PROVIDER_VARIABLE_LIST,
  type ProviderVariable,
  type ProviderVariableOf,
} from '@turbostream/contracts';
import { z } from 'zod';

/** Empty strings count as unset: `OPENAI_API_KEY=` in env.local means "no key". */
const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().trim().min(1).optional());

const integer = (what: string, fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) =>
  z.preprocess(
    (value) => (value === '' || value === undefined ? fallback : Number(value)),
    z
      .number({ error: `expected ${what}` })
      .int({ error: `expected ${what}` })
      .min(min, { error: `expected ${what} of at least ${min}` })
      .max(max, { error: `expected ${what} of at most ${max}` }),
  );

const decimal = (what: string, fallback: number, { min, max }: { min: number; max: number }) =>
  z.preprocess(
    (value) => (value === '' || value === undefined ? fallback : Number(value)),
    z
      .number({ error: `expected ${what}` })
      .min(min, { error: `expected ${what} from ${min} to ${max}` })
      .max(max, { error: `expected ${what} from ${min} to ${max}` }),
  );

const httpUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
      error: 'expected an http:// or https:// URL',
    })
    .optional(),
);

/** One `redis://` or `rediss://` URL, or several separated by commas (the seed nodes of a Redis Cluster). */
const redisUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .refine(
      (value) => value.split(',').every((part) => /^rediss?:\/\//.test(part.trim()) && URL.canParse(part.trim())),
      {
        error: 'expected a redis:// or rediss:// URL, or a comma-separated list of them (Redis Cluster nodes)',
      },
    )
    .optional(),
);

/** The spellings a boolean variable accepts (any case): nothing else, so `yes` or `on` is reported, not guessed. */
const BOOLEAN_SPELLINGS = { true: true, false: false, '1': true, '0': false } as const;

/** A boolean variable: `true`, `false`, `1` or `0` (any case); empty or unset is `fallback`. */
const booleanFlag = (fallback: boolean) =>
  z.preprocess(
    (value) => (value === '' || value === undefined ? String(fallback) : String(value).trim().toLowerCase()),
    z
      .enum(['true', 'false', '1', '0'], { error: 'expected true, false, 1 or 0' })
      .transform((text) => BOOLEAN_SPELLINGS[text]),
  );

type ProviderValue<V> = V extends { format: { fallback: number } }
  ? number
  : V extends { format: object }
    ? number | undefined
    : string | undefined;
type ProviderShape = { [V in ProviderVariableOf as V['name']]: z.ZodType<ProviderValue<V>> };

/** A number that may be unset (no value, not a default): a budget limit. */
const optionalNumber = ({ what, min, max, integer }: NumberFormat) => {
  const range = `expected ${what} from ${min} to ${max}`;
  const number = z
    .number({ error: `expected ${what}` })
    .min(min, { error: range })
    .max(max, { error: range });
  return z.preprocess(
    (value) => (value === '' || value === undefined ? undefined : Number(value)),
    (integer ? number.int({ error: `expected ${what}` }) : number).optional(),
  );
};

function providerVariableSchema({ format }: ProviderVariable): z.ZodType<string | number | undefined> {
  if (format === undefined) return optionalString;
  if (format === 'url') return httpUrl;
  return format.fallback === undefined ? optionalNumber(format) : decimal(format.what, format.fallback, format);
}

/** The variables of the provider registry (libs/contracts/src/provider-registry.ts). */
const providerShape = Object.fromEntries(
  PROVIDER_VARIABLE_LIST.map((variable) => [variable.name, providerVariableSchema(variable)]),
) as ProviderShape;

/** The shortest `DASHBOARD_TOKEN` accepted: a guessable token would be no lock. */
export const DASHBOARD_TOKEN_MIN_LENGTH = 16;

/** Every environment variable TurboStream reads (documented field by field in env.local.example). */
export const EnvSchema = z.object({
  REDIS_URL: redisUrl,
  REDIS_CLUSTER: booleanFlag(false),
  TURBOSTREAM_NAMESPACE: z.preprocess(
    (value) => (value === '' || value === undefined ? 'turbostream' : value),
    z.string().regex(/^[a-z0-9_-]{1,32}$/, { error: 'expected 1-32 characters of a-z, 0-9, _ or -' }),
  ),
  TURBOSTREAM_INSTANCE_ID: optionalString,
  TURBOSTREAM_STREAMS_FILE: optionalString,
  TURBOSTREAM_PRICES_FILE: optionalString,
  LOG_LEVEL: z.preprocess(
    (value) => (value === '' || value === undefined ? 'info' : String(value).toLowerCase()),
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected one of fatal, error, warn, info, debug, trace, silent',
    }),
  ),
  LOG_FORMAT: z.preprocess(
    (value) => (value === '' || value === undefined ? 'auto' : value),
    z.enum(['json', 'pretty', 'auto'], { error: 'expected json, pretty or auto' }),
  ),
  DEFAULT_AI_PROVIDER: optionalString,
  ...providerShape,

  LLM_MAX_TOKENS: integer('a whole number of tokens', 1024, { max: 1_000_000 }),
  LLM_TEMPERATURE: decimal('a temperature', 0.2, { min: 0, max: 2 }),
  LLM_TIMEOUT_MS: integer('a timeout in milliseconds', 60_000, { min: 100 }),

  INGEST_MAX_FRAME_BYTES: integer('a size in bytes', 1_048_576, { min: 64 }),
  INGEST_MAX_BUFFERED_MESSAGES: integer('a message count', 10_000, { min: 10 }),
  INGEST_MAX_BUFFERED_BYTES: integer('a size in bytes', 4_194_304, { min: 65_536 }),
  INGEST_BATCH_SIZE: integer('a message count', 500),
  INGEST_PING_INTERVAL_MS: integer('an interval in milliseconds', 15_000, { min: 100 }),
  INGEST_RECONNECT_INITIAL_MS: integer('a delay in milliseconds', 500, { min: 10 }),
  INGEST_RECONNECT_MAX_MS: integer('a delay in milliseconds', 30_000, { min: 10 }),

  WINDOWER_POLL_MS: integer('an interval in milliseconds', 1_000, { min: 10 }),
  WINDOWER_LEASE_MS: integer('a lease time in milliseconds', 10_000, { min: 300 }),
  WINDOWER_MAX_QUEUED: integer('a job count', 1_000),
  WINDOWER_RETENTION_MS: integer('a time in milliseconds', 3_600_000, { min: 0 }),

  ANALYZER_CONCURRENCY: integer('a number of jobs', 16, { max: 1_000 }),
  ANALYZER_LOCK_MS: integer('a lock time in milliseconds', 30_000, { min: 1_000 }),
  ANALYZER_ATTEMPTS: integer('a number of attempts', 5, { max: 100 }),

  HEALTH_PORT: integer('a TCP port (0: no health endpoints)', 0, { min: 0, max: 65_535 }),
  HEALTH_HOST: z.preprocess((value) => (value === '' || value === undefined ? '127.0.0.1' : value), z.string().min(1)),
  SHUTDOWN_TIMEOUT_MS: integer('a time in milliseconds', 30_000, { min: 100 }),

  DASHBOARD_HOST: z.preprocess(
    (value) => (value === '' || value === undefined ? '127.0.0.1' : value),
    z.string().trim().min(1),
  ),
  DASHBOARD_PORT: integer('a TCP port (0: any free one)', 7700, { min: 0, max: 65_535 }),
  DASHBOARD_TOKEN: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .min(DASHBOARD_TOKEN_MIN_LENGTH, {
        error: `expected a token of at least ${DASHBOARD_TOKEN_MIN_LENGTH} characters (for instance \`openssl rand -hex 24\`)`,
      })
      .refine((value) => /^[\x21-\x7e]+$/.test(value), {
        error: 'expected printable ASCII characters without spaces (it travels in a cookie and a header)',
      })
      .optional(),
  ),
});
export type Env = z.infer<typeof EnvSchema>;

/**
 * Each group of settings, field by field, with the variable it is read from: its type is that variable's (see
 * {@link SettingsOf}).
 */
export const SETTINGS = {
  log: { level: 'LOG_LEVEL', format: 'LOG_FORMAT' },
  health: { port: 'HEALTH_PORT', host: 'HEALTH_HOST' },
  /** `turbostream dashboard`: where it listens, and the token it asks for (required off loopback). */
  dashboard: { host: 'DASHBOARD_HOST', port: 'DASHBOARD_PORT', token: 'DASHBOARD_TOKEN' },
  llm: { maxTokens: 'LLM_MAX_TOKENS', temperature: 'LLM_TEMPERATURE', timeoutMs: 'LLM_TIMEOUT_MS' },
  heuristic: { threshold: 'HEURISTIC_THRESHOLD' },
  ingest: {
    /** Frames larger than this go to the dead-letter stream. */
    maxFrameBytes: 'INGEST_MAX_FRAME_BYTES',
    /** Messages held in memory per source before the socket is paused. */
    maxBufferedMessages: 'INGEST_MAX_BUFFERED_MESSAGES',
    /**
     * Bytes of messages held in memory per source before the socket is paused, whichever bound comes first: four
     * batches of 500 × 2 KB by default, so the next batch is ready while one is in flight, and 1,000 sources held back
     * by a slow Redis hold at most 4 GiB between them whatever their frame size.
     */
    maxBufferedBytes: 'INGEST_MAX_BUFFERED_BYTES',
    /** Messages per pipelined XADD batch. */
    batchSize: 'INGEST_BATCH_SIZE',
    pingIntervalMs: 'INGEST_PING_INTERVAL_MS',
    reconnectInitialMs: 'INGEST_RECONNECT_INITIAL_MS',
    reconnectMaxMs: 'INGEST_RECONNECT_MAX_MS',
  },
  windower: {
    pollMs: 'WINDOWER_POLL_MS',
    leaseMs: 'WINDOWER_LEASE_MS',
    /** Windows waiting in a provider's queue above which the windower stops enqueueing (backpressure). */
    maxQueued: 'WINDOWER_MAX_QUEUED',
    /** Windowed entries are kept this long in the source stream before being trimmed. */
    retentionMs: 'WINDOWER_RETENTION_MS',
  },
  analyzer: { concurrency: 'ANALYZER_CONCURRENCY', lockMs: 'ANALYZER_LOCK_MS', attempts: 'ANALYZER_ATTEMPTS' },
} as const satisfies Record<string, Record<string, keyof Env>>;

type Groups = typeof SETTINGS;
/** A group of {@link SETTINGS}, each field typed as its variable is by {@link EnvSchema}. */
export type SettingsOf<G extends keyof Groups> = { -readonly [F in keyof Groups[G]]: Env[Groups[G][F] & keyof Env] };

/** Reads a group of {@link SETTINGS} from the validated variables. */
export function settingsOf<G extends keyof Groups>(values: Env, group: G): SettingsOf<G> {
  return Object.fromEntries(
    Object.entries(SETTINGS[group]).map(([field, name]) => [field, values[name as keyof Env]]),
  ) as SettingsOf<G>;
}

/**
 * The provider keys: masked in every output (the registry's secret flags), and what a deployment keeps in its secrets.
 * `DASHBOARD_TOKEN` is masked too (see {@link isSecretVariable}) but belongs to whoever runs the dashboard.
 */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(
  PROVIDER_VARIABLE_LIST.filter((variable) => variable.secret).map((variable) => variable.name),
);

/** True for a variable whose value is never echoed: a provider key or the dashboard's token. */
export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLES.has(name) || name === 'DASHBOARD_TOKEN';
}
