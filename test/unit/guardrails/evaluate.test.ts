import { describe, expect, it } from 'vitest';
import { GuardrailTracker, measureGuardrail, RecordedMetrics, substitutePlaceholders, type MetricSource } from '../../../src/core/index';
import { QUERY_PLACEHOLDERS } from '../../../src/core/plan/index';
import { guardrailSchema, type Guardrail } from '../../../src/core/plan/schema';

const context = { candidateVersion: '42', baselineVersion: '41', service: 'churn-scorer', planName: 'churn-canary', modelName: 'churn' };
const guardrail = (fields: Record<string, unknown>): Guardrail => guardrailSchema.parse({ name: 'g', query: 'q{version="{{version}}"}', ...fields });

/** Answers by the version label in the query: the values a recording would hold. */
function byVersion(values: Record<string, number | undefined | Error>): MetricSource & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async queryScalar(promql) {
      queries.push(promql);
      const version = /version="([^"]*)"/.exec(promql)?.[1] ?? '';
      const value = values[version];
      if (value instanceof Error) throw value;
      return value === undefined ? {} : { value };
    },
  };
}

describe('substitutePlaceholders', () => {
  it('fills every documented placeholder and leaves unknown ones alone', () => {
    const text = substitutePlaceholders('{{version}} {{ candidate.version }} {{baseline.version}} {{metadata.service}} {{metadata.name}} {{model.name}} {{other}}', { ...context, version: '41' });
    expect(text).toBe('41 42 41 churn-scorer churn-canary churn {{other}}');
  });

  it('knows every placeholder plan validation accepts', () => {
    const context2 = { ...context, version: '41' };
    for (const name of QUERY_PLACEHOLDERS) expect(substitutePlaceholders(`{{${name}}}`, context2), name).not.toContain('{{');
  });
});

describe('measureGuardrail', () => {
  it('passes and fails absolute bounds, with the query as sent in the evidence', async () => {
    const metrics = byVersion({ '42': 0.05 });
    const failed = await measureGuardrail(guardrail({ max: 0.02 }), context, metrics);
    expect(failed).toMatchObject({ outcome: 'fail', value: 0.05, query: 'q{version="42"}', bound: { max: 0.02 }, noData: false });
    expect(failed.reason).toContain('above max 0.02');
    expect((await measureGuardrail(guardrail({ max: 0.1 }), context, metrics)).outcome).toBe('pass');
    expect((await measureGuardrail(guardrail({ min: 0.06 }), context, metrics)).outcome).toBe('fail');
    expect(Date.parse(failed.at)).not.toBeNaN();
  });

  it('compares with the baseline for relativeTo: baseline', async () => {
    const metrics = byVersion({ '42': 0.3, '41': 0.2 });
    const result = await measureGuardrail(guardrail({ relativeTo: 'baseline', maxRatio: 1.2 }), context, metrics);
    expect(result).toMatchObject({ outcome: 'fail', value: 0.3, baselineValue: 0.2, baselineQuery: 'q{version="41"}' });
    expect(result.ratio).toBeCloseTo(1.5);
    expect(metrics.queries).toEqual(['q{version="42"}', 'q{version="41"}']);
    const lower = await measureGuardrail(guardrail({ relativeTo: 'baseline', minRatio: 2 }), context, metrics);
    expect(lower.outcome).toBe('fail');
    const within = await measureGuardrail(guardrail({ relativeTo: 'baseline', maxRatio: 1.6 }), context, metrics);
    expect(within.outcome).toBe('pass');
  });

  it('handles a zero baseline explicitly', async () => {
    const zeroBoth = await measureGuardrail(guardrail({ relativeTo: 'baseline', maxRatio: 1.2 }), context, byVersion({ '42': 0, '41': 0 }));
    expect(zeroBoth).toMatchObject({ outcome: 'pass', ratio: 1 });
    const zeroBaseline = await measureGuardrail(guardrail({ relativeTo: 'baseline', maxRatio: 1.2 }), context, byVersion({ '42': 0.01, '41': 0 }));
    expect(zeroBaseline).toMatchObject({ outcome: 'fail', ratio: Infinity });
    expect(zeroBaseline.reason).toContain('baseline is 0');
  });

  it('follows onNoData for missing candidate data, missing baseline data and endpoint errors', async () => {
    for (const onNoData of ['fail', 'pass', 'inconclusive'] as const) {
      const missing = await measureGuardrail(guardrail({ max: 1, onNoData }), context, byVersion({}));
      expect(missing).toMatchObject({ outcome: onNoData, noData: true });
      const noBaseline = await measureGuardrail(guardrail({ relativeTo: 'baseline', maxRatio: 2, onNoData }), context, byVersion({ '42': 1 }));
      expect(noBaseline).toMatchObject({ outcome: onNoData, noData: true, value: 1 });
    }
    const down = await measureGuardrail(guardrail({ max: 1, onNoData: 'fail' }), context, byVersion({ '42': new Error('connection refused') }));
    expect(down).toMatchObject({ outcome: 'fail', noData: true, error: 'connection refused' });
    const nan = await measureGuardrail(guardrail({ max: 1 }), context, byVersion({ '42': Number.NaN }));
    expect(nan).toMatchObject({ outcome: 'inconclusive', noData: true });
  });

  it('reads recorded values by guardrail and version', async () => {
    const recorded = new RecordedMetrics({ g: { '42': [0.01, null, 0.5] } });
    const g = guardrail({ max: 0.1 });
    expect((await measureGuardrail(g, context, recorded)).outcome).toBe('pass');
    expect((await measureGuardrail(g, context, recorded)).outcome).toBe('inconclusive');
    expect((await measureGuardrail(g, context, recorded)).outcome).toBe('fail');
    expect((await measureGuardrail(g, context, recorded)).value).toBe(0.5);
  });
});

describe('GuardrailTracker', () => {
  const measurement = (outcome: 'pass' | 'fail' | 'inconclusive') => ({
    guardrail: 'g',
    outcome,
    noData: outcome === 'inconclusive',
    query: 'q',
    bound: {},
    reason: '',
    at: '',
    dryRun: false,
  });

  it('breaches after failureLimit consecutive failures, and a pass resets the count', () => {
    const tracker = new GuardrailTracker(guardrail({ max: 1, failureLimit: 2 }));
    expect(tracker.record(measurement('fail'))).toBe('failing');
    expect(tracker.record(measurement('pass'))).toBe('ok');
    expect(tracker.record(measurement('fail'))).toBe('failing');
    expect(tracker.record(measurement('inconclusive'))).toBe('inconclusive');
    expect(tracker.record(measurement('fail'))).toBe('breach');
    expect(tracker.consecutiveFailures).toBe(2);
  });

  it('continues counting from a persisted count', () => {
    const tracker = new GuardrailTracker(guardrail({ max: 1, failureLimit: 3 }), 2);
    expect(tracker.record(measurement('fail'))).toBe('breach');
  });

  it('never lets a dryRun guardrail decide', () => {
    const tracker = new GuardrailTracker(guardrail({ max: 1, dryRun: true }));
    expect(tracker.record(measurement('fail'))).toBe('recorded');
    expect(tracker.record(measurement('fail'))).toBe('recorded');
    expect(tracker.record(measurement('inconclusive'))).toBe('recorded');
  });
});

describe('recorded metrics for dry runs', () => {
  it('reports guardrails the recording does not name as not measured, and they never decide', async () => {
    const recorded = new RecordedMetrics({ other: { '42': [1] } });
    const result = await measureGuardrail(guardrail({ max: 0.1 }), context, recorded);
    expect(result).toMatchObject({ outcome: 'skipped', noData: false });
    expect(new GuardrailTracker(guardrail({ max: 0.1 })).record(result)).toBe('ok');
  });
});
