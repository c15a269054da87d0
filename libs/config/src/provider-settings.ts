import {
  type BudgetLimit,
  PROVIDER_IDS,
  type ProviderId,
  type ProviderSetting,
  type ProviderSettings,
  providerRow,
} from '@turbostream/contracts';
import type { Env } from './env-schema.js';

/** The variables each provider requires and reads, by name (derived from the provider registry). */
export const PROVIDER_VARIABLES = Object.fromEntries(
  PROVIDER_IDS.map((id) => {
    const { variables } = providerRow(id);
    return [
      id,
      {
        required: variables.filter((v) => v.required).map((v) => v.name),
        optional: variables.filter((v) => !v.required).map((v) => v.name),
      },
    ];
  }),
) as Record<ProviderId, { required: string[]; optional: string[] }>;

/**
 * One provider's settings: each setting from the first of its variables that is set; missing, the required ones left
 * unfilled.
 */
function settingsOf(id: ProviderId, env: Env): ProviderSettings {
  const { variables, builtInModel } = providerRow(id);
  const read = (name: string): unknown => (env as Record<string, unknown>)[name];
  const values: Partial<Record<ProviderSetting, string>> = builtInModel === undefined ? {} : { model: builtInModel };
  const budget: { -readonly [L in BudgetLimit]?: number } = {};
  for (const { name, setting, budget: limit } of variables) {
    const value = read(name);
    if (setting !== undefined && typeof value === 'string') values[setting] ??= value;
    if (limit !== undefined && typeof value === 'number') budget[limit] = value;
  }
  const missing = variables
    .filter(
      ({ name, required, setting }) => required && (setting === undefined ? read(name) : values[setting]) === undefined,
    )
    .map(({ name }) => name);
  return { id, configured: missing.length === 0, missing, budget, ...values };
}

/** Reads every provider's settings from the validated environment. */
export function resolveProviders(env: Env): Record<ProviderId, ProviderSettings> {
  return Object.fromEntries(PROVIDER_IDS.map((id) => [id, settingsOf(id, env)])) as Record<
    ProviderId,
    ProviderSettings
  >;
}
