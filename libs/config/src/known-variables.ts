import { EnvSchema } from './env-schema.js';

/**
 * Variables TurboStream reads from the real environment only, never from an
 * env file, with what they do. Every other variable it reads is a key of
 * {@link EnvSchema}.
 */
export const ENVIRONMENT_ONLY_VARIABLES: Readonly<Record<string, string>> = {
  TURBOSTREAM_ENV_FILE: 'names the env file, so it cannot be set inside one',
};

/** Every variable name TurboStream reads: the one list the look-alike check compares with. */
export const KNOWN_VARIABLES: readonly string[] = [
  ...Object.keys(EnvSchema.shape),
  ...Object.keys(ENVIRONMENT_ONLY_VARIABLES),
];

/**
 * First words that are ordinary words other software uses too: they do not
 * make a family (`DEFAULT_BRANCH` is not ours). A near-miss of
 * `DEFAULT_AI_PROVIDER` is still caught by the edit distance.
 */
const GENERIC_FIRST_WORDS = new Set(['DEFAULT_']);

function firstWord(name: string): string {
  const end = name.indexOf('_');
  return end === -1 ? name : name.slice(0, end + 1);
}

/** The longest prefix ending in `_` that every name shares (`AZURE_OPENAI_` for the Azure variables). */
function commonWordPrefix(names: readonly string[]): string {
  const [first = '', ...others] = names;
  let prefix = first.slice(0, first.lastIndexOf('_') + 1);
  for (const name of others) {
    while (!name.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('_', prefix.length - 2) + 1);
  }
  return prefix;
}

/**
 * The prefixes of our variable families, derived from {@link KNOWN_VARIABLES}:
 * names grouped by their first word, each group's longest shared prefix
 * (`TURBOSTREAM_`, `AZURE_OPENAI_`, `OPENAI_`, `GOOGLE_`, `LLM_`, `REDIS_`, ...).
 */
export function variableFamilyPrefixes(names: readonly string[] = KNOWN_VARIABLES): string[] {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const word = firstWord(name);
    if (word.endsWith('_') && !GENERIC_FIRST_WORDS.has(word)) groups.set(word, [...(groups.get(word) ?? []), name]);
  }
  return [...groups.values()].map((group) =>
    group.length === 1 ? firstWord(group[0] ?? '') : commonWordPrefix(group),
  );
}
