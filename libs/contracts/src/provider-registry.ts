import type { Budget, BudgetLimit } from './budget.js';

/** The provider setting a variable fills (see {@link ProviderSettings}). */
export type ProviderSetting = 'apiKey' | 'baseURL' | 'model' | 'apiVersion';

/** A number variable: what it is (in messages), its value when unset (none: unset is no value), and its range. */
export interface NumberFormat {
  readonly what: string;
  readonly fallback?: number;
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
}

export interface ProviderVariable {
  readonly name: string;
  /** Masked in every output (API keys; never endpoints, models or versions). */
  readonly secret: boolean;
  /**
   * The provider is configured only when it is set (or, with a `setting`, when another variable filled that setting).
   */
  readonly required: boolean;
  /**
   * The setting it fills; the first variable set wins (`GOOGLE_API_KEY`, then `GEMINI_API_KEY`). `model` is the default
   * model.
   */
  readonly setting?: ProviderSetting;
  /** How the value is checked: any text (unset), an http(s) URL, or a number. */
  readonly format?: 'url' | NumberFormat;
  /** The limit of the provider's budget it sets (see `Budget`). */
  readonly budget?: BudgetLimit;
}

/** One row of the provider registry: everything about a provider except how it is built (libs/providers). */
export interface ProviderDescription {
  readonly variables: readonly ProviderVariable[];
  /** Other ids users may type for it. */
  readonly aliases?: readonly string[];
  /** The model of a provider that has no model variable (the heuristic's method). */
  readonly builtInModel?: string;
}

/** The two budget variables every LLM provider has: `<PREFIX>_BUDGET_USD_PER_DAY`, `_TOKENS_PER_MINUTE`. */
const budgets = <P extends string>(prefix: P) =>
  [
    {
      name: `${prefix}_BUDGET_USD_PER_DAY`,
      secret: false,
      required: false,
      budget: 'usdPerDay',
      format: { what: 'a number of US dollars', min: 0.000001, max: 1_000_000 },
    },
    {
      name: `${prefix}_BUDGET_TOKENS_PER_MINUTE`,
      secret: false,
      required: false,
      budget: 'tokensPerMinute',
      format: { what: 'a whole number of tokens', min: 1, max: 1_000_000_000, integer: true },
    },
  ] as const;

const key = <N extends string>(name: N, required = true) =>
  ({ name, secret: true, required, setting: 'apiKey' }) as const;
const model = <N extends string>(name: N, required = false) =>
  ({ name, secret: false, required, setting: 'model' }) as const;
const baseURL = <N extends string>(name: N, required = false) =>
  ({ name, secret: false, required, setting: 'baseURL', format: 'url' }) as const;

/**
 * THE provider registry, one row per provider, in display order. The env
 * schema, secret masking, `turbostream providers` and env.local.example's
 * check derive from it; libs/providers keys its factories by the same ids.
 */
export const PROVIDERS = {
  'azure-openai': {
    variables: [
      baseURL('AZURE_OPENAI_ENDPOINT', true),
      key('AZURE_OPENAI_API_KEY'),
      model('AZURE_OPENAI_DEPLOYMENT_NAME', true),
      { name: 'AZURE_OPENAI_API_VERSION', secret: false, required: false, setting: 'apiVersion' },
      ...budgets('AZURE_OPENAI'),
    ],
  },
  openai: {
    variables: [key('OPENAI_API_KEY'), model('OPENAI_MODEL'), baseURL('OPENAI_BASE_URL'), ...budgets('OPENAI')],
  },
  anthropic: {
    variables: [
      key('ANTHROPIC_API_KEY'),
      model('ANTHROPIC_MODEL'),
      baseURL('ANTHROPIC_BASE_URL'),
      ...budgets('ANTHROPIC'),
    ],
  },
  gemini: {
    variables: [
      key('GOOGLE_API_KEY'),
      key('GEMINI_API_KEY', false),
      model('GOOGLE_MODEL'),
      baseURL('GOOGLE_BASE_URL'),
      ...budgets('GOOGLE'),
    ],
  },
  mistral: {
    variables: [key('MISTRAL_API_KEY'), model('MISTRAL_MODEL'), baseURL('MISTRAL_BASE_URL'), ...budgets('MISTRAL')],
  },
  xai: {
    variables: [key('XAI_API_KEY'), model('XAI_MODEL'), baseURL('XAI_BASE_URL'), ...budgets('XAI')],
    aliases: ['grok'],
  },
  ollama: { variables: [baseURL('OLLAMA_BASE_URL', true), model('OLLAMA_MODEL'), ...budgets('OLLAMA')] },
  heuristic: {
    variables: [
      {
        name: 'HEURISTIC_THRESHOLD',
        secret: false,
        required: false,
        format: { what: 'a robust z-score threshold', fallback: 6, min: 1, max: 1000 },
      },
    ],
    builtInModel: 'mad',
  },
} as const satisfies Record<string, ProviderDescription>;

type Id = keyof typeof PROVIDERS;
/** Every provider id TurboStream knows, in the registry's order (`ProviderId` is their zod enum). */
export const PROVIDER_IDS = Object.keys(PROVIDERS) as [Id, ...Id[]];

/** Every provider variable, typed by name. */
/**
 * One provider's settings as the configuration resolves them from its variables: `model` is the default model
 * (`<PROVIDER>_MODEL`; Azure: the deployment), `apiVersion` is Azure's, `baseURL` Azure's resource endpoint or a
 * provider's base URL.
 */
export type ProviderSettings = {
  readonly id: Id;
  /** True when every required variable is set. */
  readonly configured: boolean;
  /** Required variables that are not set (named in the "not configured" error). */
  readonly missing: readonly string[];
  /** What the provider may spend, over every analyzer (its `_BUDGET_` variables); empty: no limit. */
  readonly budget: Budget;
} & { readonly [S in ProviderSetting]?: string };

export type ProviderVariableOf = (typeof PROVIDERS)[Id]['variables'][number];
export const PROVIDER_VARIABLE_LIST: readonly ProviderVariable[] = PROVIDER_IDS.flatMap(
  (id) => providerRow(id).variables,
);

/** A provider's row, typed as a row. */
export function providerRow(id: Id): ProviderDescription {
  return PROVIDERS[id];
}

/** The variable that holds a provider's default model (`OPENAI_MODEL`), if it has one. */
export function modelVariable(id: Id): string | undefined {
  return providerRow(id).variables.find((variable) => variable.setting === 'model')?.name;
}

/** Maps user-facing aliases (`grok`) onto provider ids; anything else is returned trimmed and lowercased. */
export function normalizeProviderId(value: string): string {
  const lower = value.trim().toLowerCase();
  return PROVIDER_IDS.find((id) => providerRow(id).aliases?.includes(lower)) ?? lower;
}

/** The ids a user may type, for messages: `azure-openai, openai, …, heuristic (or grok)`. */
export function providerChoices(): string {
  const aliases = PROVIDER_IDS.flatMap((id) => providerRow(id).aliases ?? []);
  return `${PROVIDER_IDS.join(', ')}${aliases.length > 0 ? ` (or ${aliases.join(', ')})` : ''}`;
}
