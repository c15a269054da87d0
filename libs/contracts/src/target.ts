import { z } from 'zod';

/** Every provider id TurboStream knows. `grok` is accepted as an alias of `xai` where users type ids. */
export const PROVIDER_IDS = ['azure-openai', 'openai', 'anthropic', 'gemini', 'mistral', 'xai', 'ollama', 'heuristic'] as const;
export const ProviderId = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderId>;

/** Maps user-facing aliases onto provider ids. */
export function normalizeProviderId(value: string): string {
  const lower = value.trim().toLowerCase();
  return lower === 'grok' ? 'xai' : lower;
}

/** One provider and model a window is analysed by. Always explicit: never filled in later. */
export const AnalysisTarget = z.object({
  provider: ProviderId,
  model: z.string().min(1).max(200),
});
export type AnalysisTarget = z.infer<typeof AnalysisTarget>;

/** A target as people read and type it: `provider/model` (`openai/gpt-4.1-mini`). */
export function formatTarget(target: { readonly provider: string; readonly model: string }): string {
  return `${target.provider}/${target.model}`;
}
