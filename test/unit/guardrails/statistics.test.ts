import { describe, expect, it } from 'vitest';
import { expectedCalibrationError } from '../../../src/core/guardrails/calibration';
import { jensenShannonDivergence } from '../../../src/core/guardrails/jensenShannon';
import { judgeStage, type JudgedGuardrail } from '../../../src/core/guardrails/judge';
import { erfc, normalSf } from '../../../src/core/guardrails/normal';
import { populationStabilityIndex, psiNoiseFloor } from '../../../src/core/guardrails/psi';

const close = (actual: number, expected: number, relative = 1e-12) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.abs(expected) + 1e-300);
const value = <T extends { value: number }>(result: T | { problem: string }): T => {
  if ('problem' in result) throw new Error(result.problem);
  return result;
};

describe('erfc and the normal tail', () => {
  it('match published values to 15 digits', () => {
    // Values of erfc from Abramowitz & Stegun / DLMF tables, to double precision.
    close(erfc(0.5), 0.4795001221869535, 1e-14);
    close(erfc(1), 0.15729920705028513, 1e-14);
    close(erfc(5), 1.5374597944280349e-12, 1e-13);
    close(erfc(10), 2.088487583762545e-45, 1e-13);
    close(erfc(-1), 1.8427007929497148, 1e-14);
    expect(erfc(0)).toBe(1);
    // scipy.stats.norm.sf(2), and the 0.977249868052 SciPy's Mann–Whitney tests use.
    close(normalSf(2), 0.022750131948179195, 1e-13);
    close(normalSf(-2), 0.977249868052, 1e-11);
    expect(normalSf(Infinity)).toBe(0);
    expect(normalSf(-Infinity)).toBe(1);
  });
});

describe('populationStabilityIndex', () => {
  it('is Σ (c − b) ln(c / b) over bucket shares', () => {
    // b = (1/4, 1/4, 1/2), c = (1/2, 1/4, 1/4): ¼ ln 2 + 0 + ¼ ln 2 = ½ ln 2.
    close(value(populationStabilityIndex([25, 25, 50], [50, 25, 25])).value, 0.5 * Math.LN2);
    // Counts are normalised first: scale does not matter.
    close(value(populationStabilityIndex([1, 1, 2], [200, 100, 100])).value, 0.5 * Math.LN2);
    expect(value(populationStabilityIndex([3, 7, 9], [3, 7, 9])).value).toBe(0);
  });

  it('equals the symmetric KL divergence and does not depend on which version is the baseline', () => {
    const b = [10, 20, 30, 40];
    const c = [25, 25, 25, 25];
    const p = b.map((x) => x / 100);
    const q = c.map((x) => x / 100);
    const kl = (u: number[], v: number[]) => u.reduce((sum, ui, i) => sum + ui * Math.log(ui / v[i]!), 0);
    close(value(populationStabilityIndex(b, c)).value, kl(p, q) + kl(q, p));
    close(value(populationStabilityIndex(c, b)).value, value(populationStabilityIndex(b, c)).value);
  });

  it('drops buckets empty in both and smooths a bucket empty in one with a pseudo-count of 0.5', () => {
    const withEmptyPair = value(populationStabilityIndex([25, 0, 25, 50], [50, 0, 25, 25]));
    close(withEmptyPair.value, 0.5 * Math.LN2);
    expect(withEmptyPair.smoothed).toBe(false);
    const oneSided = value(populationStabilityIndex([10, 0], [5, 5]));
    expect(oneSided.smoothed).toBe(true);
    // b = (10.5, 0.5)/11, c = (5.5, 5.5)/11
    const b = [10.5 / 11, 0.5 / 11];
    const c = [0.5, 0.5];
    close(oneSided.value, (c[0]! - b[0]!) * Math.log(c[0]! / b[0]!) + (c[1]! - b[1]!) * Math.log(c[1]! / b[1]!));
    expect(value(populationStabilityIndex([10, 0], [5, 5], { pseudoCount: 0 })).value).toBe(Infinity);
  });

  it('refuses counts it cannot compare', () => {
    expect(populationStabilityIndex([1, 2], [1, 2, 3])).toHaveProperty('problem');
    expect(populationStabilityIndex([0, 0], [1, 2])).toHaveProperty('problem');
    expect(populationStabilityIndex([1, -1], [1, 2])).toHaveProperty('problem');
  });

  it('states the noise floor (k − 1)(1/n + 1/m)', () => {
    expect(psiNoiseFloor(10, 1000, 100)).toBeCloseTo(9 * (0.001 + 0.01), 12);
  });
});

describe('jensenShannonDivergence', () => {
  // SciPy's scipy.spatial.distance.jensenshannon docstring examples give the JS *distance*
  // (the square root of the divergence), in nats unless base=2.
  const distanceNats = (b: number[], c: number[]) => Math.sqrt(value(jensenShannonDivergence(b, c)).value * Math.LN2);

  it('matches SciPy’s published examples', () => {
    expect(value(jensenShannonDivergence([1, 0, 0], [0, 1, 0])).value).toBe(1);
    expect(distanceNats([1, 0], [0.5, 0.5])).toBeCloseTo(0.46450140402245893, 14);
    expect(value(jensenShannonDivergence([1, 0, 0], [1, 0, 0])).value).toBe(0);
    const a = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ];
    const b = [
      [13, 14, 15, 16],
      [17, 18, 19, 20],
      [21, 22, 23, 24],
    ];
    const columns = [0, 1, 2, 3].map((column) =>
      distanceNats(
        a.map((row) => row[column]!),
        b.map((row) => row[column]!),
      ),
    );
    [0.1954288, 0.1447697, 0.1138377, 0.0927636].forEach((expected, index) => expect(columns[index]).toBeCloseTo(expected, 7));
    const rows = [0, 1, 2].map((row) => distanceNats(a[row]!, b[row]!));
    [0.1402339, 0.0399106, 0.0201815].forEach((expected, index) => expect(rows[index]).toBeCloseTo(expected, 7));
  });

  it('needs no smoothing for empty buckets and stays within [0, 1] bits', () => {
    const result = value(jensenShannonDivergence([10, 0, 5], [0, 7, 5]));
    expect(result.value).toBeGreaterThan(0);
    expect(result.value).toBeLessThan(1);
    expect(jensenShannonDivergence([1], [1, 2])).toHaveProperty('problem');
  });
});

describe('expectedCalibrationError', () => {
  it('reproduces Pavlovic’s worked example (9 predictions, 3 bins): 0.23778', () => {
    // Maja Pavlovic, "Expected Calibration Error (ECE): a step-by-step visual explanation" (2023):
    // scores (0.22, 0.64, 0.92, 0.42, 0.51, 0.15, 0.70, 0.37, 0.83), labels (0,1,0,0,0,1,1,0,1),
    // 3 equal bins, accuracy of the thresholded prediction against the mean score per bin.
    const result = expectedCalibrationError([
      { lower: 0, upper: 1 / 3, count: 2, positives: 1, confidence: (0.22 + 0.15) / 2 },
      { lower: 1 / 3, upper: 2 / 3, count: 4, positives: 3, confidence: (0.64 + 0.42 + 0.51 + 0.37) / 4 },
      { lower: 2 / 3, upper: 1, count: 3, positives: 2, confidence: (0.92 + 0.7 + 0.83) / 3 },
    ]);
    if ('problem' in result) throw new Error(result.problem);
    expect(result.ece).toBeCloseTo(2.14 / 9, 12);
    expect(result.ece.toFixed(5)).toBe('0.23778');
  });

  it('reproduces a published reliability table: ECE 0.1640, MCE 0.45', () => {
    // induwara.lk ECE calculator's preset: 10 predictions in 5 bins, 3 of them non-empty.
    const result = expectedCalibrationError([
      { lower: 0, upper: 0.2, count: 0, positives: 0, confidence: 0.1 },
      { lower: 0.2, upper: 0.4, count: 0, positives: 0, confidence: 0.3 },
      { lower: 0.4, upper: 0.6, count: 1, positives: 1, confidence: 0.55 },
      { lower: 0.6, upper: 0.8, count: 4, positives: 2, confidence: 0.6675 },
      { lower: 0.8, upper: 1, count: 5, positives: 5, confidence: 0.896 },
    ]);
    if ('problem' in result) throw new Error(result.problem);
    expect(result.ece).toBeCloseTo(0.164, 12);
    expect(result.mce).toBeCloseTo(0.45, 12);
    expect(result.total).toBe(10);
  });

  it('is 0 when every bin’s rate equals its confidence, and refuses impossible bins', () => {
    const calibrated = expectedCalibrationError([
      { lower: 0, upper: 0.5, count: 100, positives: 25, confidence: 0.25 },
      { lower: 0.5, upper: 1, count: 100, positives: 75, confidence: 0.75 },
    ]);
    expect(calibrated).toMatchObject({ ece: 0, mce: 0 });
    expect(expectedCalibrationError([{ lower: 0, upper: 1, count: 1, positives: 2, confidence: 0.5 }])).toHaveProperty('problem');
    expect(expectedCalibrationError([{ lower: 0, upper: 1, count: 0, positives: 0, confidence: 0.5 }])).toHaveProperty('problem');
  });
});

describe('judgeStage', () => {
  const g = (guardrail: string, outcome: JudgedGuardrail['outcome'], extra: Partial<JudgedGuardrail> = {}): JudgedGuardrail => ({ guardrail, outcome, critical: false, dryRun: false, ...extra });
  const thresholds = { pass: 80, marginal: 60 };

  it('scores the share of passing guardrails against pass and marginal', () => {
    expect(judgeStage([g('a', 'pass'), g('b', 'pass'), g('c', 'pass'), g('d', 'pass'), g('e', 'fail')], thresholds)).toMatchObject({ verdict: 'pass', score: 80 });
    expect(judgeStage([g('a', 'pass'), g('b', 'pass'), g('c', 'fail')], thresholds)).toMatchObject({ verdict: 'marginal', failed: ['c'] });
    expect(judgeStage([g('a', 'pass'), g('b', 'fail')], thresholds)).toMatchObject({ verdict: 'fail', score: 50 });
  });

  it('leaves dryRun, unmeasured and inconclusive guardrails out of the share', () => {
    const result = judgeStage([g('a', 'pass'), g('b', 'fail', { dryRun: true }), g('c', 'inconclusive'), g('d', 'skipped')], thresholds);
    expect(result).toMatchObject({ verdict: 'pass', score: 100, counted: 1, excluded: ['b', 'c', 'd'] });
    expect(judgeStage([g('c', 'inconclusive')], thresholds).verdict).toBe('inconclusive');
  });

  it('fails on a critical breach whatever the score', () => {
    const result = judgeStage([g('a', 'pass'), g('b', 'pass'), g('c', 'pass'), g('d', 'pass'), g('e', 'pass'), g('k', 'fail', { critical: true, breached: true })], thresholds);
    expect(result).toMatchObject({ verdict: 'fail', criticalBreaches: ['k'] });
    expect(result.reason).toContain('critical guardrail k breached');
    // A critical guardrail that failed but has not reached its failureLimit only lowers the score.
    expect(judgeStage([g('a', 'pass'), g('b', 'pass'), g('c', 'pass'), g('d', 'pass'), g('k', 'fail', { critical: true })], thresholds).verdict).toBe('pass');
  });
});
