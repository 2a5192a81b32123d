import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { averageRanks, exactSurvival, exactUCounts, mannWhitneyU, type MannWhitneyAlternative, type MannWhitneyMethod } from '../../../src/core/guardrails/mannWhitney';

interface Case {
  name: string;
  x: (number | 'inf')[];
  y: (number | 'inf')[];
  alternative: MannWhitneyAlternative;
  method: MannWhitneyMethod;
  continuity: boolean;
  u: number;
  p: number | null;
  rtol: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/scipy-mannwhitneyu.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  exactCdf: Record<string, Record<string, number[]>>;
};
const numbers = (values: (number | 'inf')[]) => values.map((value) => (value === 'inf' ? Infinity : value));

describe('mannWhitneyU against SciPy/R reference values', () => {
  it.each(fixture.cases.map((one) => [one.name, one] as const))('%s', (_name, one) => {
    const result = mannWhitneyU(numbers(one.x), numbers(one.y), { alternative: one.alternative, method: one.method, continuity: one.continuity });
    expect(result.u).toBe(one.u);
    if (one.p === null) expect(result.pValue).toBeNaN();
    else expect(Math.abs(result.pValue - one.p)).toBeLessThanOrEqual(one.rtol * Math.abs(one.p) + 1e-15);
  });

  it('chooses the method as SciPy does: exact for a sample of at most 8 without ties, else asymptotic', () => {
    const seven = [0.11, 0.52, 0.33, 0.94, 0.25, 0.66, 0.77];
    const nine = [0.18, 0.29, 0.31, 0.42, 0.53, 0.64, 0.75, 0.86, 0.97];
    expect(
      mannWhitneyU(
        seven,
        seven.map((v) => v + 0.001),
      ).method,
    ).toBe('exact');
    expect(mannWhitneyU(seven, nine).method).toBe('exact');
    expect(mannWhitneyU(nine, seven).method).toBe('exact');
    expect(
      mannWhitneyU(
        nine,
        nine.map((v) => v + 0.001),
      ).method,
    ).toBe('asymptotic');
    const tied = seven.map((v) => v + 0.001);
    tied[3] = seven[3]!;
    const withTie = mannWhitneyU(seven, tied);
    expect(withTie).toMatchObject({ method: 'asymptotic', ties: true });
    expect(withTie.pValue).toBe(mannWhitneyU(seven, tied, { method: 'asymptotic' }).pValue);
    expect(withTie.pValue).not.toBe(mannWhitneyU(seven, tied, { method: 'exact' }).pValue);
  });

  it('rejects empty samples and NaN instead of inventing a p-value', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
    expect(() => mannWhitneyU([1, Number.NaN], [1])).toThrow(/NaN/);
  });
});

describe('the exact null distribution of U', () => {
  it('matches the tabulated CDF of Mann & Whitney (1947)', () => {
    for (const [n, table] of Object.entries(fixture.exactCdf)) {
      for (const [m, cdf] of Object.entries(table)) {
        cdf.forEach((expected, k) => {
          // P(U <= k) = 1 - P(U >= k + 1)
          expect(Math.abs(1 - exactSurvival(k + 1, Number(m), Number(n)) - expected)).toBeLessThanOrEqual(1e-3);
        });
      }
    }
  });

  it('is symmetric, sums to the binomial coefficient and does not depend on the order of the sizes', () => {
    for (const [m, n] of [
      [3, 5],
      [6, 6],
      [8, 40],
      [1, 9],
    ] as const) {
      const counts = exactUCounts(m, n);
      expect(counts).toEqual([...counts].reverse());
      let binomial = 1n;
      for (let i = 1n; i <= BigInt(m); i++) binomial = (binomial * (BigInt(n) + i)) / i;
      expect(counts.reduce((a, b) => a + b, 0n)).toBe(binomial);
      expect(exactUCounts(n, m)).toEqual(counts);
      expect(counts.every((count) => count >= 0n)).toBe(true);
    }
  });
});

describe('averageRanks', () => {
  it('gives tied values the mean of their ranks and reports the tie groups', () => {
    const { ranks, tieSizes } = averageRanks([3, 1, 3, 2, 3, Infinity, Infinity]);
    expect([...ranks]).toEqual([4, 1, 4, 2, 4, 6.5, 6.5]);
    expect(tieSizes.sort()).toEqual([2, 3]);
  });
});
