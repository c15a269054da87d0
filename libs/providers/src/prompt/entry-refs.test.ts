import { describe, expect, it } from 'vitest';
import { answerWithEntryIds, citedEntryIds } from './entry-refs.js';

const refs = new Map([
  ['1', '1764504000000-0'],
  ['2', '1764504000049-0'],
  ['3', '1764504000049-1'],
]);

describe('citedEntryIds', () => {
  it('maps every ref back to exactly its entry id, each once, in the order cited', () => {
    expect(citedEntryIds(['3', '1', '2', '1'], refs)).toEqual([
      '1764504000049-1',
      '1764504000000-0',
      '1764504000049-0',
    ]);
  });

  it('drops refs the prompt did not show: unknown numbers, other spellings, entry ids', () => {
    expect(citedEntryIds(['0', '4', '01', ' 1', '#1', 'L1', '1764504000000-0', ''], refs)).toEqual([]);
  });
});

describe('answerWithEntryIds', () => {
  it('turns the evidence of every alert, and nothing else', () => {
    const alert = {
      severity: 'critical' as const,
      title: 'spike',
      summary: 'price +2.5 % in row 2',
      evidence: ['2', '9'],
    };
    expect(answerWithEntryIds({ alerts: [alert, { ...alert, evidence: [] }] }, refs)).toEqual({
      alerts: [
        { ...alert, evidence: ['1764504000049-0'] },
        { ...alert, evidence: [] },
      ],
    });
  });
});
