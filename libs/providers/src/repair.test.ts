import type { Window } from '@turbostream/contracts';
import { describe, expect, it } from 'vitest';
import { ProviderError } from './errors/provider-error.js';
import { parseModelAnswer } from './parse-model-answer.js';
import type { AnalysisProvider, AnalysisRequest, AnalysisResult, AnalysisUsage } from './provider.js';
import { analyzeWithRepair } from './repair.js';

const window: Window = {
  streamId: 's',
  windowId: '1-0',
  firstEntryId: '1-0',
  lastEntryId: '1-0',
  closedBy: 'messages',
  bytes: 2,
  from: 1,
  to: 1,
  messages: [{ id: '1-0', data: '{}', receivedAt: 1 }],
  gaps: [],
};
const request: AnalysisRequest = {
  model: 'm',
  instructions: 'i',
  window,
  maxTokens: 100,
  temperature: 0,
  timeoutMs: 1000,
};

/** A provider that answers with the given texts in turn, validating each like a real one. */
function scripted(answers: string[]): AnalysisProvider & { requests: AnalysisRequest[] } {
  const requests: AnalysisRequest[] = [];
  return {
    id: 'openai',
    requests,
    async analyze(next): Promise<AnalysisResult> {
      requests.push(next);
      const text = answers[requests.length - 1] ?? '';
      return {
        answer: parseModelAnswer('openai', text, '', { inputTokens: 10, outputTokens: 5 }),
        timings: { ttftMs: 1, totalMs: 2 },
        usage: { inputTokens: 10, outputTokens: 5 },
        finishReason: 'stop',
      };
    },
  };
}

describe('analyzeWithRepair', () => {
  it('returns a valid first answer as it is', async () => {
    const provider = scripted(['{"alerts":[]}']);
    await expect(analyzeWithRepair(provider, request)).resolves.toMatchObject({
      answer: { alerts: [] },
      repaired: false,
    });
    expect(provider.requests).toHaveLength(1);
  });

  it('asks once more with the invalid answer and the problem, and takes a repaired answer', async () => {
    const provider = scripted(['Sure! Here are the alerts: none', '{"alerts":[]}']);
    const result = await analyzeWithRepair(provider, request);
    expect(result).toMatchObject({
      answer: { alerts: [] },
      repaired: true,
      usage: { inputTokens: 20, outputTokens: 10 },
    });
    expect(provider.requests[1]?.repair).toEqual({
      previousOutput: 'Sure! Here are the alerts: none',
      problem: expect.stringContaining('not JSON'),
    });
  });

  it('adds up both calls: input, output, cache reads and cache writes', async () => {
    const usages: AnalysisUsage[] = [
      { inputTokens: 1_000, outputTokens: 50, cachedInputTokens: 0, cacheWriteInputTokens: 800 },
      { inputTokens: 1_100, outputTokens: 40, cachedInputTokens: 800, cacheWriteInputTokens: 0 },
    ];
    let calls = 0;
    const provider: AnalysisProvider = {
      id: 'anthropic',
      async analyze(): Promise<AnalysisResult> {
        const usage = usages[calls] ?? { inputTokens: 0, outputTokens: 0 };
        calls += 1;
        const text = calls === 1 ? 'not json' : '{"alerts":[]}';
        return {
          answer: parseModelAnswer('anthropic', text, '', usage),
          timings: { ttftMs: 1, totalMs: 2 },
          usage,
          finishReason: 'stop',
        };
      },
    };
    const result = await analyzeWithRepair(provider, request);
    expect(result.usage).toEqual({
      inputTokens: 2_100,
      outputTokens: 90,
      cachedInputTokens: 800,
      cacheWriteInputTokens: 800,
    });
  });

  it('fails with the reason after a second invalid answer', async () => {
    const provider = scripted(['nope', '{"alerts":[{"severity":"huge"}]}']);
    const error = await analyzeWithRepair(provider, request).catch((caught: unknown) => caught);
    expect(ProviderError.isInstance(error) && error.kind).toBe('invalid-output');
    expect(String(error)).toMatch(/after one repair attempt/);
    expect(provider.requests).toHaveLength(2);
  });

  it('does not repair other failures', async () => {
    const failing: AnalysisProvider = {
      id: 'openai',
      analyze: () =>
        Promise.reject(new ProviderError({ provider: 'openai', kind: 'transient', message: 'openai: 503' })),
    };
    await expect(analyzeWithRepair(failing, request)).rejects.toMatchObject({ kind: 'transient' });
  });

  it('keeps the model output out of the error when it is serialised', () => {
    const error = new ProviderError({
      provider: 'openai',
      kind: 'invalid-output',
      message: 'bad',
      output: 'SECRET-LOOKING OUTPUT',
    });
    expect(error.output).toBe('SECRET-LOOKING OUTPUT');
    expect(JSON.stringify({ ...error })).not.toContain('SECRET-LOOKING');
  });
});
