import { ENVIRONMENT_ONLY_VARIABLES, KNOWN_VARIABLES, variableFamilyPrefixes } from './known-variables.js';
import { PROVIDER_VARIABLES } from './provider-settings.js';
import type { ConfigProblem } from './types.js';

/**
 * The Damerau–Levenshtein distance (optimal string alignment): insertions,
 * deletions, substitutions and swaps of two neighbours each cost 1.
 */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const table = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number): number => table[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) table[i * width] = i;
  for (let j = 0; j <= b.length; j++) table[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitution = at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      table[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * How many edits still make a name a near-miss: none below 6 characters
 * (`PATH`, `HOME`, `LANG` are never ours), 1 below 9, else 2.
 */
function allowedEdits(name: string): number {
  if (name.length < 6) return 0;
  return name.length < 9 ? 1 : 2;
}

/** The known variable nearest to `name` (compared in upper case), among `candidates`. */
function nearest(name: string, candidates: readonly string[]): { name: string; distance: number } | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  return best;
}

const FAMILY_PREFIXES = variableFamilyPrefixes();

/**
 * The known names a name of a family may have been meant as: the family's
 * own, and those of the provider it belongs to (`GEMINI_MODEL`: the gemini
 * provider's `GOOGLE_MODEL`).
 */
function familyCandidates(prefix: string): string[] {
  const providers = Object.values(PROVIDER_VARIABLES).map(({ required, optional }) => [...required, ...optional]);
  const related = providers.filter((names) => names.some((name) => name.startsWith(prefix))).flat();
  return [...new Set([...KNOWN_VARIABLES.filter((name) => name.startsWith(prefix)), ...related])];
}

/**
 * The known variable a name that is not ours was probably meant to be, or
 * `undefined` when it does not look like ours: it starts with one of our
 * prefixes (`OPENAI_APIKEY`: `OPENAI_API_KEY`), or is a few edits away from a
 * known name (`REDISURL`: `REDIS_URL`). Case is ignored; an exact name is ours.
 */
export function lookAlikeOf(name: string): string | undefined {
  if (KNOWN_VARIABLES.includes(name)) return undefined;
  const upper = name.toUpperCase();
  const family = FAMILY_PREFIXES.filter((prefix) => upper.startsWith(prefix)).sort((a, b) => b.length - a.length)[0];
  if (family !== undefined) return nearest(upper, familyCandidates(family))?.name;
  const close = nearest(upper, KNOWN_VARIABLES);
  return close !== undefined && close.distance <= allowedEdits(upper) ? close.name : undefined;
}

/**
 * Kubernetes "service links" (`REDIS_SERVICE_HOST`, `REDIS_PORT=tcp://…`,
 * `REDIS_PORT_6379_TCP_ADDR`): set for every Service of the namespace when the
 * pod does not turn them off. Not the user's doing, so not worth a warning.
 */
export function isKubernetesServiceLink(name: string, value: string): boolean {
  if (/_SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?$/.test(name)) return true;
  if (/_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/.test(name)) return true;
  return /_PORT$/.test(name) && /^(tcp|udp|sctp):\/\//.test(value);
}

/**
 * Warnings for names that look like TurboStream variables but are not
 * (`env.local: OPENAI_APIKEY: not a TurboStream variable; did you mean
 * OPENAI_API_KEY?`), and, in an env file, for variables only the environment
 * sets. Only names are shown, never values.
 */
export function variableNameWarnings(
  variables: Readonly<Record<string, string>>,
  source: string,
  { inEnvFile }: { inEnvFile: boolean },
): ConfigProblem[] {
  const warnings: ConfigProblem[] = [];
  for (const [name, value] of Object.entries(variables)) {
    if (inEnvFile && name in ENVIRONMENT_ONLY_VARIABLES) {
      warnings.push({
        source,
        field: name,
        message: `has no effect in an env file (${ENVIRONMENT_ONLY_VARIABLES[name]}): set it in the environment`,
      });
      continue;
    }
    if (!inEnvFile && isKubernetesServiceLink(name, value)) continue;
    const meant = lookAlikeOf(name);
    if (meant !== undefined)
      warnings.push({ source, field: name, message: `not a TurboStream variable; did you mean ${meant}?` });
  }
  return warnings;
}
