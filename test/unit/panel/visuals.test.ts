import { describe, expect, it } from 'vitest';
import type { GuardrailMeasurement } from '../../../src/core/guardrails/measurement';
import { gauge, guardrailVisual, pairedBars, sharedSeries } from '../../../src/core/panel/visuals';

const base = { guardrail: 'g', outcome: 'pass', noData: false, query: 'q', reason: '', at: '2025-07-01T00:00:00.000Z', dryRun: false } as const;

describe('guardrail visuals', () => {
  it('carries a drift measurement’s shares and its value against max', () => {
    const measurement = {
      ...base,
      kind: 'drift',
      value: 0.3,
      bound: { max: 0.2 },
      drift: {
        method: 'psi',
        window: '1m',
        buckets: ['0.5', '+Inf'],
        baselineCounts: [1, 1],
        candidateCounts: [3, 1],
        baselineShares: [0.5, 0.5],
        candidateShares: [0.75, 0.25],
        baselineTotal: 2,
        candidateTotal: 4,
        minSamples: 1,
      },
    } as GuardrailMeasurement;
    expect(guardrailVisual(measurement)).toEqual({ kind: 'drift', method: 'psi', value: 0.3, max: 0.2, buckets: ['0.5', '+Inf'], baselineShares: [0.5, 0.5], candidateShares: [0.75, 0.25] });
    expect(guardrailVisual({ ...measurement, noData: true })).toBeUndefined();
    expect(guardrailVisual({ ...base, bound: {}, value: 1 } as GuardrailMeasurement)).toBeUndefined();
  });

  it('draws paired bars scaled to the tallest share, side by side per bucket', () => {
    const { baseline, candidate } = pairedBars([0.5, 0.25], [0.25, 0.5], 100, 40);
    expect(baseline[0]).toMatchObject({ height: 40, y: 0 });
    expect(candidate[0]).toMatchObject({ height: 20, y: 20 });
    expect(candidate[0]!.x).toBeGreaterThan(baseline[0]!.x);
    expect(baseline[1]!.x).toBeGreaterThanOrEqual(candidate[0]!.x + candidate[0]!.width);
    expect(pairedBars([Number.NaN], [0], 10, 10).baseline[0]!.height).toBe(0);
  });

  it('places value and bound on a gauge that ends past both', () => {
    expect(gauge(0.1, 0.2, 100)).toEqual({ valueX: 40, boundX: 80, scaleEnd: 0.25 });
    expect(gauge(Infinity, 0.2, 100).valueX).toBe(0);
  });

  it('puts two series on one y scale', () => {
    const [a, b] = sharedSeries([0, 10], [5, Number.NaN, 10], 100, 10);
    expect(a).toBe('0.0,10.0 100.0,0.0');
    expect(b).toBe('0.0,5.0 100.0,0.0');
  });
});
