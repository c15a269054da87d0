import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff.js';

const options = { initialMs: 100, maxMs: 5_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    const ceilings = [0, 1, 2, 3, 4, 5].map((attempt) => backoffCeiling(attempt, options));
    expect(ceilings).toEqual([100, 200, 400, 800, 1600, 3200]);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffCeiling(6, options)).toBe(5_000);
    expect(backoffCeiling(1_000, options)).toBe(5_000);
    expect(backoffDelay(1_000, options, () => 0.999999)).toBeLessThanOrEqual(5_000);
  });

  it('draws the delay uniformly between zero and the ceiling (full jitter)', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
    expect(backoffDelay(3, options, () => 0.999999)).toBe(799);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(backoffCeiling(attempt, options) + 1);
    }
  });

  it('spreads delays rather than repeating one value', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, options)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
