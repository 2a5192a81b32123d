import { describe, expect, it } from 'vitest';
import { GuardrailTracker, measureGuardrail, type LabelledValue, type MetricSource, type QueryRange } from '../../../src/core/guardrails/index';
import { guardrailSchema, type Guardrail } from '../../../src/core/plan/schema';

const context = { candidateVersion: '42', baselineVersion: '41', service: 'churn-scorer', planName: 'churn-canary', modelName: 'churn' };
const guardrail = (fields: Record<string, unknown>): Guardrail => guardrailSchema.parse({ name: 'g', ...fields });
const versionOf = (promql: string) => /version="([^"]*)"/.exec(promql)?.[1] ?? '';

/** Cumulative `le` buckets from per-bucket counts, as `sum by (le) (increase(...))` answers. */
function cumulative(counts: number[], edges = ['0.25', '0.5', '0.75', '1', '+Inf']): LabelledValue[] {
  let running = 0;
  return edges.map((le, index) => ({ labels: { le }, value: (running += counts[index] ?? 0) }));
}

function vectors(byVersion: Record<string, LabelledValue[] | Error>): MetricSource & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    queryScalar: async () => ({}),
    async queryVector(promql) {
      queries.push(promql);
      const answer = byVersion[versionOf(promql)];
      if (answer instanceof Error) throw answer;
      return { samples: answer ?? [] };
    },
  };
}

describe('drift guardrails', () => {
  const drift = guardrail({ kind: 'drift', histogram: 'rollgate_dev_prediction_score', window: '1m', minSamples: 50 });

  it('sends one increase query per version and passes a stable distribution', async () => {
    const metrics = vectors({ '42': cumulative([100, 200, 150, 50, 0]), '41': cumulative([210, 390, 300, 100, 0]) });
    const result = await measureGuardrail(drift, context, metrics);
    expect(metrics.queries).toEqual(['sum by (le) (increase(rollgate_dev_prediction_score_bucket{version="42"}[1m]))', 'sum by (le) (increase(rollgate_dev_prediction_score_bucket{version="41"}[1m]))']);
    expect(result).toMatchObject({ kind: 'drift', outcome: 'pass', bound: { max: 0.2 }, query: metrics.queries[0], baselineQuery: metrics.queries[1] });
    expect(result.value).toBeLessThan(0.01);
    expect(result.drift).toMatchObject({ method: 'psi', buckets: ['0.25', '0.5', '0.75', '1', '+Inf'], candidateCounts: [100, 200, 150, 50, 0], candidateTotal: 500, baselineTotal: 1000, smoothed: false });
    expect(result.drift?.noiseFloor).toBeCloseTo(3 * (1 / 1000 + 1 / 500), 12);
  });

  it('fails a shifted distribution against max, and uses the Jensen–Shannon default bound', async () => {
    const metrics = vectors({ '42': cumulative([0, 50, 150, 300, 0]), '41': cumulative([200, 300, 150, 50, 0]) });
    const psi = await measureGuardrail(drift, context, metrics);
    expect(psi.outcome).toBe('fail');
    expect(psi.reason).toMatch(/^PSI [\d.]+ is above max 0\.2 \(500 candidate vs 700 baseline observations in 1m; noise floor/);
    const js = await measureGuardrail({ ...drift, method: 'jensen-shannon' }, context, metrics);
    expect(js).toMatchObject({ outcome: 'fail', bound: { max: 0.05 } });
    expect(js.reason).toContain('JS divergence');
  });

  it('is no data below minSamples, with an unreadable histogram, or when the source cannot read vectors', async () => {
    const few = await measureGuardrail(drift, context, vectors({ '42': cumulative([10, 10, 5, 0, 0]), '41': cumulative([200, 300, 150, 50, 0]) }));
    expect(few).toMatchObject({ outcome: 'inconclusive', noData: true });
    expect(few.reason).toContain('the candidate has 25 observations in the last 1m, fewer than minSamples 50');
    const failing = await measureGuardrail({ ...drift, onNoData: 'fail' }, context, vectors({ '42': new Error('connection refused'), '41': cumulative([1, 1, 1, 1, 0]) }));
    expect(failing).toMatchObject({ outcome: 'fail', noData: true });
    expect(failing.reason).toContain('the candidate query failed: connection refused');
    const noInf = await measureGuardrail(drift, context, vectors({ '42': cumulative([100, 100], ['0.5', '1']), '41': cumulative([100, 100], ['0.5', '1']) }));
    expect(noInf.reason).toContain('no le="+Inf" bucket');
    const mismatch = await measureGuardrail(drift, context, vectors({ '42': cumulative([100, 100, 0], ['0.5', '1', '+Inf']), '41': cumulative([100, 100, 100, 0]) }));
    expect(mismatch.reason).toContain('different buckets');
    const scalarOnly = await measureGuardrail(drift, context, { queryScalar: async () => ({}) });
    expect(scalarOnly).toMatchObject({ outcome: 'inconclusive', error: 'this metric source cannot read histogram buckets' });
    const skipped = await measureGuardrail(drift, context, { queryScalar: async () => ({ skipped: true }), queryVector: async () => ({ skipped: true }) });
    expect(skipped.outcome).toBe('skipped');
  });

  it('fills the selector’s placeholders', async () => {
    const metrics = vectors({ '42': cumulative([100, 0, 0, 0, 0]), '41': cumulative([100, 0, 0, 0, 0]) });
    await measureGuardrail({ ...drift, selector: '{ version = "{{version}}", service="{{metadata.service}}" }' }, context, metrics);
    expect(metrics.queries[0]).toBe('sum by (le) (increase(rollgate_dev_prediction_score_bucket{version="42",service="churn-scorer"}[1m]))');
  });
});

describe('compare guardrails', () => {
  const compare = guardrail({ kind: 'compare', query: 'latency{version="{{version}}"}', interval: '15s', direction: 'increase', tolerance: 0.1, minSamples: 10 });
  const series = (values: number[]) => ({ series: [{ labels: {}, points: values.map((value, index) => ({ time: 1000 + index * 15, value })) }] });
  function ranges(byVersion: Record<string, number[]>): MetricSource & { calls: { promql: string; range: QueryRange }[] } {
    const calls: { promql: string; range: QueryRange }[] = [];
    return {
      calls,
      queryScalar: async () => ({}),
      async queryRange(promql, range) {
        calls.push({ promql, range });
        const values = byVersion[versionOf(promql)];
        return values ? series(values) : { series: [] };
      },
    };
  }
  const baseline = [10, 11, 9, 10, 12, 10, 11, 9, 10, 11, 10, 12];

  it('queries the bake so far at the guardrail interval and passes when nothing got worse', async () => {
    const metrics = ranges({ '42': [10, 10, 11, 9, 12, 10, 11, 10, 9, 11, 10, 11], '41': baseline });
    const result = await measureGuardrail(compare, context, metrics, { now: () => 2_000_000, bakeStartedAt: 1_700_000 });
    expect(metrics.calls[0]).toEqual({ promql: 'latency{version="42"}', range: { start: 1700, end: 2000, stepSeconds: 15 } });
    expect(result).toMatchObject({ kind: 'compare', outcome: 'pass', compare: { test: 'mann-whitney-u', alternative: 'greater', candidateCount: 12, baselineCount: 12, alpha: expect.closeTo(0.02, 12) } });
    expect(result.value).toBe(result.compare!.pValue);
  });

  it('fails a significant increase beyond the tolerance, and passes one within it', async () => {
    const slower = await measureGuardrail(compare, context, ranges({ '42': baseline.map((v) => v * 1.5), '41': baseline }), { now: () => 2_000_000, bakeStartedAt: 1_700_000 });
    expect(slower.outcome).toBe('fail');
    expect(slower.reason).toContain('significant increase at 98% confidence: median +50%');
    expect(slower.compare!.pValue).toBeLessThan(0.02);
    expect(slower.compare!.effectSize).toBeCloseTo(0.5, 12);
    const tolerant = await measureGuardrail({ ...compare, tolerance: 0.6 }, context, ranges({ '42': baseline.map((v) => v * 1.5), '41': baseline }), { now: () => 2_000_000 });
    expect(tolerant.outcome).toBe('pass');
    expect(tolerant.reason).toContain('within tolerance 60%');
    // A decrease is not what this guardrail guards against.
    const faster = await measureGuardrail(compare, context, ranges({ '42': baseline.map((v) => v * 0.5), '41': baseline }), { now: () => 2_000_000 });
    expect(faster.outcome).toBe('pass');
  });

  it('keeps collecting while the bake runs, then is no data with too few samples', async () => {
    const metrics = ranges({ '42': [10, 11, 12], '41': baseline });
    const collecting = await measureGuardrail(compare, context, metrics, { now: () => 2_000_000, collecting: true });
    expect(collecting).toMatchObject({ outcome: 'skipped', noData: false });
    expect(collecting.reason).toContain('collecting samples: 3 candidate and 12 baseline samples so far, minSamples 10');
    const finished = await measureGuardrail(compare, context, metrics, { now: () => 2_000_000 });
    expect(finished).toMatchObject({ outcome: 'inconclusive', noData: true });
    // Outside a bake the last window (default 10m) is tested.
    expect(metrics.calls.at(-1)!.range).toEqual({ start: 1400, end: 2000, stepSeconds: 15 });
  });
});

describe('calibration guardrails', () => {
  const calibrated = (positiveShare: (midpoint: number) => number): LabelledValue[] => {
    const edges = ['0.25', '0.5', '0.75', '1', '+Inf'];
    const perBin = [400, 300, 200, 100, 0];
    const midpoints = [0.125, 0.375, 0.625, 0.875, 1];
    let positives = 0;
    let negatives = 0;
    return edges.flatMap((le, index) => {
      positives += perBin[index]! * positiveShare(midpoints[index]!);
      negatives += perBin[index]! * (1 - positiveShare(midpoints[index]!));
      return [
        { labels: { le, label: '1' }, value: positives },
        { labels: { le, label: '0' }, value: negatives },
      ];
    });
  };

  it('reads a histogram with a label dimension: ECE 0 when rates match midpoints, above max when they do not', async () => {
    const histogram = guardrail({ kind: 'calibration', histogram: 'rollgate_dev_labelled_score', max: 0.05, window: '2m' });
    const metrics = vectors({ '42': calibrated((midpoint) => midpoint) });
    const good = await measureGuardrail(histogram, context, metrics);
    expect(metrics.queries[0]).toBe('sum by (le, label) (increase(rollgate_dev_labelled_score_bucket{version="42"}[2m]))');
    expect(good).toMatchObject({ kind: 'calibration', outcome: 'pass', value: expect.closeTo(0, 12), calibration: { source: 'histogram', total: 1000, binConfidence: 'midpoint' } });
    expect(good.calibration!.bins.map((bin) => [bin.lower, bin.upper])).toEqual([
      [0, 0.25],
      [0.25, 0.5],
      [0.5, 0.75],
      [0.75, 1],
    ]);
    const over = await measureGuardrail(histogram, context, vectors({ '42': calibrated((midpoint) => Math.max(0, midpoint - 0.1)) }));
    expect(over).toMatchObject({ outcome: 'fail', value: expect.closeTo(0.1, 12) });
  });

  it('reads a counter per bin and outcome', async () => {
    const counter = guardrail({ kind: 'calibration', counter: 'rollgate_dev_labels_by_bin_total', max: 0.05, minSamples: 10 });
    const samples: LabelledValue[] = [
      { labels: { bin: '0.5', label: '1' }, value: 5 },
      { labels: { bin: '0.5', label: '0' }, value: 15 },
      { labels: { bin: '1', label: '1' }, value: 15 },
      { labels: { bin: '1', label: '0' }, value: 5 },
    ];
    const metrics = vectors({ '42': samples });
    const result = await measureGuardrail(counter, context, metrics);
    expect(metrics.queries[0]).toBe('sum by (bin, label) (increase(rollgate_dev_labels_by_bin_total{version="42"}[5m]))');
    expect(result).toMatchObject({ outcome: 'pass', value: 0, calibration: { source: 'counter', total: 40 } });
    const missingLabel = await measureGuardrail(counter, context, vectors({ '42': [{ labels: { bin: '1' }, value: 3 }] }));
    expect(missingLabel.reason).toContain("a series has no 'label' label");
    const few = await measureGuardrail({ ...counter, minSamples: 100 }, context, metrics);
    expect(few.reason).toContain('40 labelled predictions in the last 5m, fewer than minSamples 100');
  });
});

describe('failureCounting', () => {
  const fail = { outcome: 'fail' } as never;
  const pass = { outcome: 'pass' } as never;
  it('consecutive forgives a pass; total does not', () => {
    const consecutive = new GuardrailTracker(guardrail({ query: 'q', max: 1, failureLimit: 3 }));
    expect([fail, fail, pass, fail, fail].map((m) => consecutive.record(m))).toEqual(['failing', 'failing', 'ok', 'failing', 'failing']);
    const total = new GuardrailTracker(guardrail({ query: 'q', max: 1, failureLimit: 3, failureCounting: 'total' }));
    expect([fail, pass, fail, pass, fail].map((m) => total.record(m))).toEqual(['failing', 'ok', 'failing', 'ok', 'breach']);
    expect(total.countedFailures).toBe(3);
  });
});
