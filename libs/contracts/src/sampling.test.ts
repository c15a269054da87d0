import { describe, expect, it } from 'vitest';
import {
  formatSampledTarget,
  formatTargets,
  partialSamples,
  SampleRate,
  sampledIn,
  sampleOf,
  samplePoint,
} from './sampling.js';

const compare = { provider: 'openai', model: 'gpt-4.1-mini' };
const windowIds = Array.from({ length: 20_000 }, (_, index) => `${1_764_504_000_000 + index * 997}-${index % 3}`);

describe('SampleRate', () => {
  it('takes a share above 0 and at most 1', () => {
    for (const good of [1, 0.5, 0.1, 0.0001]) expect(SampleRate.safeParse(good).success, String(good)).toBe(true);
    for (const bad of [0, -0.1, 1.01, 2, Number.NaN, '0.1'])
      expect(SampleRate.safeParse(bad).success, String(bad)).toBe(false);
  });
});

describe('sampledIn', () => {
  it('decides the same for the same stream, window and target, whoever asks and however often', () => {
    const first = windowIds.slice(0, 500).map((id) => sampledIn('btc', id, compare, 0.3));
    const again = windowIds.slice(0, 500).map((id) => sampledIn('btc', id, { ...compare }, 0.3));
    expect(again).toEqual(first);
    expect(samplePoint('btc', windowIds[0] ?? '', compare)).toBe(samplePoint('btc', windowIds[0] ?? '', compare));
  });

  it('takes about the share asked for over many windows', () => {
    for (const sample of [0.1, 0.25, 0.5, 0.9]) {
      const taken = windowIds.filter((id) => sampledIn('btc', id, compare, sample)).length / windowIds.length;
      expect(Math.abs(taken - sample), `sample ${sample}: took ${taken}`).toBeLessThan(0.015);
    }
  });

  it('takes every window at a sample of 1', () => {
    expect(windowIds.every((id) => sampledIn('btc', id, compare, 1))).toBe(true);
  });

  it('keeps the windows of a smaller sample within those of a larger one, for one target', () => {
    const small = windowIds.filter((id) => sampledIn('btc', id, compare, 0.1));
    expect(small.every((id) => sampledIn('btc', id, compare, 0.3))).toBe(true);
  });

  it('decides apart for each target and each stream', () => {
    const other = { provider: 'gemini', model: 'gemini-2.5-flash' };
    const mine = windowIds.map((id) => sampledIn('btc', id, compare, 0.5));
    expect(windowIds.map((id) => sampledIn('btc', id, other, 0.5))).not.toEqual(mine);
    expect(windowIds.map((id) => sampledIn('eth', id, compare, 0.5))).not.toEqual(mine);
  });

  it('spreads points over [0, 1)', () => {
    const points = windowIds.map((id) => samplePoint('btc', id, compare));
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...points)).toBeLessThan(1);
  });
});

describe('samples of targets', () => {
  it('names only the targets that sample, and reads 1 for the others', () => {
    const samples = partialSamples([
      [{ provider: 'heuristic', model: 'heuristic' }, 1],
      [compare, 0.1],
    ]);
    expect(samples).toEqual({ 'openai/gpt-4.1-mini': 0.1 });
    expect(sampleOf(samples, compare)).toBe(0.1);
    expect(sampleOf(samples, { provider: 'heuristic', model: 'heuristic' })).toBe(1);
    expect(sampleOf(undefined, compare)).toBe(1);
    expect(partialSamples([[compare, 1]])).toBeUndefined();
  });

  it('writes a sampled target as provider/model@share, and never the first target with one', () => {
    expect(formatSampledTarget(compare, 0.1)).toBe('openai/gpt-4.1-mini@0.1');
    expect(formatSampledTarget(compare, 1)).toBe('openai/gpt-4.1-mini');
    const main = { provider: 'heuristic', model: 'heuristic' };
    expect(formatTargets([main, compare], { 'openai/gpt-4.1-mini': 0.1, 'heuristic/heuristic': 0.5 })).toBe(
      'heuristic/heuristic, openai/gpt-4.1-mini@0.1',
    );
  });
});
