import { MODEL_ANSWER_JSON_SCHEMA, ModelAnswer } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT } from './system-prompt.js';

const answer = (alert: Partial<{ title: string; summary: string; evidence: string[] }>, count = 1) => ({
  alerts: Array.from({ length: count }, () => ({ severity: 'info', title: 't', summary: '', evidence: [], ...alert })),
});

/** The number in the first match of `pattern` (a limit stated in words). */
function stated(text: unknown, pattern: RegExp): number {
  const match = pattern.exec(String(text));
  if (!match) throw new Error(`no limit matching ${pattern} in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

const itemProperties = (
  MODEL_ANSWER_JSON_SCHEMA.properties.alerts as { items: { properties: Record<string, { description?: string }> } }
).items.properties;

describe('the limits of a model answer', () => {
  it(
    'are the same in the system prompt, the JSON schema and the zod schema that validates the answer: the ' + 'title',
    () => {
      const inPrompt = stated(SYSTEM_PROMPT, /title: [^.]*?(\d+) characters/);
      expect(stated(itemProperties.title?.description, /(\d+) characters/)).toBe(inPrompt);
      expect(ModelAnswer.safeParse(answer({ title: 'x'.repeat(inPrompt) })).success).toBe(true);
      expect(ModelAnswer.safeParse(answer({ title: 'x'.repeat(inPrompt + 1) })).success).toBe(false);
    },
  );

  it('are the same in the JSON schema and the zod schema: summary, evidence and the number of alerts', () => {
    const summary = stated(itemProperties.summary?.description, /at most (\d+) characters/);
    expect(ModelAnswer.safeParse(answer({ summary: 'x'.repeat(summary) })).success).toBe(true);
    expect(ModelAnswer.safeParse(answer({ summary: 'x'.repeat(summary + 1) })).success).toBe(false);
    const evidence = stated(itemProperties.evidence?.description, /at most (\d+)/);
    expect(ModelAnswer.safeParse(answer({ evidence: Array(evidence).fill('1-0') })).success).toBe(true);
    expect(ModelAnswer.safeParse(answer({ evidence: Array(evidence + 1).fill('1-0') })).success).toBe(false);
    const alerts = stated(
      (MODEL_ANSWER_JSON_SCHEMA.properties.alerts as { description?: string }).description,
      /at most (\d+) alerts/i,
    );
    expect(ModelAnswer.safeParse(answer({}, alerts)).success).toBe(true);
    expect(ModelAnswer.safeParse(answer({}, alerts + 1)).success).toBe(false);
  });
});
