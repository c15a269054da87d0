import type { ModelAnswer } from '@turbostream/contracts';

/**
 * The entry id behind every ref a prompt showed (`"1"` → `"1764504000123-0"`): the model cites refs as evidence,
 * and what leaves the providers is entry ids again.
 */
export type EntryRefs = ReadonlyMap<string, string>;

/** The entry ids of the refs cited, each once, in the order cited; a ref the prompt did not show is dropped. */
export function citedEntryIds(evidence: readonly string[], refs: EntryRefs): string[] {
  const ids = new Set<string>();
  for (const ref of evidence) {
    const id = refs.get(ref);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/** The answer with every alert's evidence turned from refs into entry ids ({@link citedEntryIds}). */
export function answerWithEntryIds(answer: ModelAnswer, refs: EntryRefs): ModelAnswer {
  return { alerts: answer.alerts.map((alert) => ({ ...alert, evidence: citedEntryIds(alert.evidence, refs) })) };
}
