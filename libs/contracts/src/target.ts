import { z } from 'zod';
import { PROVIDER_IDS } from './provider-registry.js';

/** A provider id of the registry (libs/contracts/src/provider-registry.ts). */
export const ProviderId = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderId>;

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
