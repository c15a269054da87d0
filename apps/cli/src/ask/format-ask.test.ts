import { TERMINAL_UNSAFE } from '@turbostream/logging';
import { describe, expect, it } from 'vitest';
import { describeContext, describeDone, escapeAnswerForTerminal } from './format-ask.js';

describe('ask output', () => {
  it('keeps the answer’s line breaks and shows everything else a terminal would act on escaped', () => {
    const answer = 'Yes.\n\nThe spike: #3\u001b[2J\u001b]0;pwned\u0007 at 12:00\r\u202eevil\u009b';
    const shown = escapeAnswerForTerminal(answer);
    expect(shown).toBe('Yes.\n\nThe spike: #3\\x1b[2J\\x1b]0;pwned\\x07 at 12:00\\r\\u202eevil\\x9b');
    expect(shown.split('\n').some((line) => TERMINAL_UNSAFE.test(line))).toBe(false);
    // Piece by piece as it streams gives the same as the whole.
    expect([...answer].map(escapeAnswerForTerminal).join('')).toBe(shown);
  });

  it('says what was asked and what the call took and cost, or that the model has no price', () => {
    expect(
      describeContext({
        type: 'context',
        streamId: 'btc-trades',
        provider: 'openai',
        model: 'gpt-4.1-mini',
        messages: 57,
        gaps: 1,
        from: Date.UTC(2026, 10, 30, 12),
        to: Date.UTC(2026, 10, 30, 12, 5),
        olderLeftOut: true,
        estimatedInputTokens: 3812,
        maxTokensIn: 4000,
      }),
    ).toBe(
      'asking openai/gpt-4.1-mini about the latest 57 messages and 1 gap of btc-trades (2026-11-30T12:00:00.000Z ' +
        'to 2026-11-30T12:05:00.000Z, about 3,812 input tokens; older messages left out to fit --max-tokens-in 4,000)',
    );
    const done = {
      type: 'done' as const,
      ttftMs: 412.4,
      totalMs: 1903.6,
      usage: { inputTokens: 3812, outputTokens: 96, cachedInputTokens: 1024 },
      costUsd: 0.00174,
      finishReason: 'stop' as const,
    };
    const target = { provider: 'openai', model: 'gpt-4.1-mini' };
    expect(describeDone(done, target)).toBe(
      'time to first token 412 ms, total 1904 ms, tokens 3,812 in (1,024 cached) / 96 out, cost $0.00174',
    );
    expect(describeDone({ ...done, costUsd: null, finishReason: 'length' }, { ...target, model: 'gpt-x' })).toBe(
      'time to first token 412 ms, total 1904 ms, tokens 3,812 in (1,024 cached) / 96 out, no price for ' +
        'openai/gpt-x (prices.yaml can give one); the answer was cut off at the output token limit (LLM_MAX_TOKENS)',
    );
    expect(describeDone({ ...done, costUsd: 0, usage: { inputTokens: 10, outputTokens: 2 } }, target)).toContain(
      'tokens 10 in / 2 out, cost $0',
    );
  });
});
