// The ML guardrail kinds measured against the real `rollgate dev` stack and a real Prometheus:
// each passes on the healthy simulator and fails once its fault is injected.
import { describe, expect, it } from 'vitest';

import { scalarSource } from '../../../src/core/cells/check';
import { planMetricQuery } from '../../../src/core/cells/ports';
import { measureGuardrail, type GuardrailMeasurement, type MeasureOptions } from '../../../src/core/guardrails/index';
import { guardrailSchema, type Plan } from '../../../src/core/plan/schema';
import { eventually, useDevStack } from '../../support/devStack';

const dev = useDevStack({ requestsPerSecond: 100, labelDelayMs: 200 });
const context = { candidateVersion: '42', baselineVersion: '41', service: 'churn-scorer', planName: 'churn-canary', modelName: 'churn' };

/** The production path a check cell takes: the plan's metric endpoint as a guardrail metric source. */
function metrics() {
  const plan = { endpoints: { metrics: { url: dev().stack.prometheusUrl! } } } as Plan;
  return scalarSource(planMetricQuery(plan, async () => ''));
}

async function until(outcome: GuardrailMeasurement['outcome'], fields: Record<string, unknown>, options: () => MeasureOptions = () => ({}), timeoutMs = 45_000): Promise<GuardrailMeasurement> {
  const guardrail = guardrailSchema.parse({ name: 'g', interval: '1s', ...fields });
  let last: GuardrailMeasurement | undefined;
  try {
    return await eventually(
      async () => {
        last = await measureGuardrail(guardrail, context, metrics(), options());
        return last.outcome === outcome ? last : undefined;
      },
      timeoutMs,
      `${guardrail.kind} guardrail to ${outcome}`,
      1000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last measurement: ${last?.reason}`);
  }
}

describe('ML guardrails against rollgate dev and Prometheus', () => {
  it('set half the traffic on the candidate', async () => {
    await dev().deployment.setTraffic({ '41': 50, '42': 50 }, {}, { idempotencyKey: 'kinds-dev-50' });
  });

  it('drift: passes on the healthy candidate, fails after a scoreShift', async () => {
    const drift = { kind: 'drift', histogram: 'rollgate_dev_prediction_score', window: '10s', minSamples: 200, max: 0.2 };
    const healthy = await until('pass', drift);
    expect(healthy.drift!.candidateTotal).toBeGreaterThanOrEqual(200);
    expect(healthy.drift!.buckets.at(-1)).toBe('+Inf');
    dev().stack.injectFault({ version: '42', scoreShift: 0.3 });
    const shifted = await until('fail', drift);
    expect(shifted.value).toBeGreaterThan(0.2);
    expect(shifted.reason).toMatch(/^PSI [\d.]+ is above max 0\.2/);
    dev().stack.clearFaults();
  });

  it('accuracy (a threshold over the label counters): passes, then fails after an accuracyDrop', async () => {
    const accuracy = {
      query: 'sum(increase(rollgate_dev_label_outcomes_total{version="{{version}}",outcome="correct"}[10s])) / sum(increase(rollgate_dev_label_outcomes_total{version="{{version}}"}[10s]))',
      min: 0.6,
    };
    const healthy = await until('pass', accuracy);
    expect(healthy.value).toBeGreaterThan(0.6);
    dev().stack.injectFault({ version: '42', accuracyDrop: 0.6 });
    const dropped = await until('fail', accuracy);
    expect(dropped.value).toBeLessThan(0.6);
    dev().stack.clearFaults();
  });

  it('calibration: passes from both metric shapes, fails after miscalibration', async () => {
    const histogram = { kind: 'calibration', histogram: 'rollgate_dev_labelled_score', window: '15s', max: 0.1, minSamples: 300 };
    const counter = { kind: 'calibration', counter: 'rollgate_dev_labels_by_bin_total', window: '15s', max: 0.1, minSamples: 300 };
    const fromHistogram = await until('pass', histogram);
    expect(fromHistogram.calibration!.bins.length).toBe(10);
    await until('pass', counter);
    dev().stack.injectFault({ version: '42', miscalibration: 0.3 });
    const off = await until('fail', histogram);
    expect(off.value).toBeGreaterThan(0.1);
    await until('fail', counter);
    dev().stack.clearFaults();
  });

  it('compare: no significant latency increase on the healthy candidate, a significant one after added latency', async () => {
    const compare = {
      kind: 'compare',
      query: 'histogram_quantile(0.5, sum by (le) (rate(rollgate_dev_request_duration_seconds_bucket{version="{{version}}"}[3s])))',
      direction: 'increase',
      tolerance: 0.5,
      minSamples: 8,
    };
    const healthy = await until('pass', compare, () => ({ bakeStartedAt: Date.now() - 12_000 }));
    expect(healthy.compare).toMatchObject({ test: 'mann-whitney-u', alternative: 'greater' });
    dev().stack.injectFault({ version: '42', latencyMs: 40 });
    const slowSince = Date.now() + 4000;
    const slow = await until('fail', compare, () => ({ bakeStartedAt: slowSince }));
    expect(slow.compare!.pValue).toBeLessThan(0.02);
    expect(slow.compare!.effectSize!).toBeGreaterThan(0.5);
    dev().stack.clearFaults();
  });
});
