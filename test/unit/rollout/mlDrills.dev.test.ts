// Drills of the ML guardrails with the real engine, `rollgate dev` and a real Prometheus: a
// scoreShift rolls back through the drift guardrail, an accuracyDrop through the accuracy
// guardrail, and clean runs of the ML plan promote (10 of them: the false-rollback count).
// Bakes are seconds long, windows 12 s (8 s windows let a loaded 2-core CI machine, serving fewer
// requests than asked, cross the drift bound on a clean run), intervals 1 s.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { DeploymentTraffic, Ledger, LedgerChangeLog, measureGuardrail, MemoryStateStore, PrometheusMetrics, RolloutEngine, type RolloutEvent } from '../../../src/core/index';
import { validatePlan } from '../../../src/core/plan/validate';
import { devDigest } from '../../../src/dev/index';
import { eventually, useDevStack } from '../../support/devStack';

const dev = useDevStack({ requestsPerSecond: 100, labelDelayMs: 200 });

function mlPlan(bake: string): string {
  const { stack } = dev();
  return `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: churn-v42-ml-drill, service: churn-scorer, environment: dev }
model:
  name: churn
  candidate: { version: "42", artifact: s3://models/churn/42, digest: "${devDigest('42')}" }
  baseline: { version: "41", artifact: s3://models/churn/41, digest: "${devDigest('41')}" }
endpoints:
  deployment: { url: "${stack.deploymentUrl}" }
  metrics: { url: "${stack.prometheusUrl}" }
guardrails:
  - name: score-drift
    kind: drift
    histogram: rollgate_dev_prediction_score
    window: 12s
    max: 0.25
    minSamples: 150
    interval: 1s
    failureLimit: 3
    onNoData: pass
    critical: true
  - name: accuracy
    query: sum(increase(rollgate_dev_label_outcomes_total{version="{{version}}",outcome="correct"}[12s])) / sum(increase(rollgate_dev_label_outcomes_total{version="{{version}}"}[12s]))
    min: 0.55
    interval: 1s
    failureLimit: 3
    onNoData: pass
    critical: true
  - name: calibration
    kind: calibration
    counter: rollgate_dev_labels_by_bin_total
    window: 12s
    max: 0.15
    minSamples: 150
    interval: 2s
    onNoData: pass
  - name: latency-compare
    kind: compare
    query: histogram_quantile(0.5, sum by (le) (rate(rollgate_dev_request_duration_seconds_bucket{version="{{version}}"}[2s])))
    interval: 1s
    direction: increase
    tolerance: 0.5
    minSamples: 4
    onNoData: pass
stages:
  - name: canary-50
    kind: canary
    traffic: 50
    bake: ${bake}
    guardrails: [score-drift, accuracy, calibration, latency-compare]
    judge: { pass: 75, marginal: 50 }
  - { name: full, kind: full, traffic: 100 }
rollback: { to: baseline, automatic: true }
`;
}

let faulted = false;

async function drill(bake: string, fault?: Parameters<ReturnType<typeof dev>['stack']['injectFault']>[0]) {
  const { stack, deployment, prometheus } = dev();
  stack.clearFaults();
  const { plan, diagnostics } = validatePlan(mlPlan(bake));
  if (!plan) throw new Error(`drill plan invalid: ${JSON.stringify(diagnostics)}`);
  if (faulted) {
    // A previous drill's faulty scores and labels must leave the 8 s windows first: measure until both critical guardrails pass again.
    await deployment.setTraffic({ '41': 50, '42': 50 }, {}, { idempotencyKey: `ml-drill-clean-${Date.now()}` });
    const context = { candidateVersion: '42', baselineVersion: '41', service: 'churn-scorer', planName: 'churn-canary', modelName: 'churn' };
    const critical = plan.guardrails.filter((guardrail) => guardrail.critical);
    await eventually(
      async () => {
        const results = await Promise.all(critical.map((guardrail) => measureGuardrail(guardrail, context, new PrometheusMetrics(prometheus))));
        return results.every((result) => result.outcome === 'pass' && !result.noData) ? true : undefined;
      },
      60_000,
      'the windows to hold no faulty data',
    );
    faulted = false;
  }
  await deployment.rollback('41', 'drill reset');
  const folder = mkdtempSync(path.join(tmpdir(), 'rollgate-ml-drill-'));
  const engine = await RolloutEngine.create({
    plan,
    planDigest: `sha256:${'0'.repeat(64)}`,
    traffic: new DeploymentTraffic(deployment, { candidate: plan.model.candidate, baseline: plan.model.baseline }),
    metrics: new PrometheusMetrics(prometheus),
    changeLog: new LedgerChangeLog(new Ledger({ path: path.join(folder, 'ledger.jsonl') })),
    stateStore: new MemoryStateStore(),
    actor: 'test',
    restart: true,
  });
  const events: RolloutEvent[] = [];
  let injected = false;
  engine.onEvent((event) => {
    events.push(event);
    // The fault strikes after the canary's first healthy drift measurement.
    if (fault && !injected && event.kind === 'measured' && event.measurement?.guardrail === 'score-drift' && event.measurement.outcome === 'pass' && !event.measurement.noData) {
      injected = true;
      faulted = true;
      stack.injectFault(fault);
    }
  });
  const final = await engine.run();
  stack.clearFaults();
  return { final, events, injected };
}

describe('ML guardrail drills against rollgate dev and Prometheus', () => {
  it('warm-up: the candidate has scores and labels in Prometheus', async () => {
    await dev().deployment.setTraffic({ '41': 50, '42': 50 }, {}, { idempotencyKey: 'ml-drill-warmup' });
    await eventually(
      async () => {
        const { result } = await dev().prometheus.query('sum(increase(rollgate_dev_labels_by_bin_total{version="42"}[8s]))');
        return result.resultType === 'vector' && (result.samples[0]?.value ?? 0) > 200 ? true : undefined;
      },
      30_000,
      'labelled predictions of 42',
    );
  });

  it('a scoreShift rolls back through the drift guardrail', async () => {
    const { final, events, injected } = await drill('40s', { version: '42', scoreShift: 0.35 });
    expect(injected, `${final.status}: ${final.pauseReason ?? final.rollback?.reason ?? ''}`).toBe(true);
    expect(final.status).toBe('rolled-back');
    const breach = events.find((event) => event.kind === 'breach')!;
    expect(breach.message).toContain('critical score-drift PSI');
  });

  it('an accuracyDrop rolls back through the accuracy guardrail', async () => {
    const { final, events, injected } = await drill('40s', { version: '42', accuracyDrop: 0.7 });
    expect(injected).toBe(true);
    expect(final.status).toBe('rolled-back');
    expect(events.find((event) => event.kind === 'breach')!.message).toContain('critical accuracy');
  });

  it('10 clean runs of the ML plan promote: 0 false rollbacks', async () => {
    const outcomes: string[] = [];
    for (let run = 0; run < 10; run += 1) {
      const { final } = await drill('6s');
      outcomes.push(final.status === 'promoted' ? 'promoted' : `${final.status}: ${final.pauseReason ?? final.rollback?.reason ?? ''}`);
    }
    console.log(`clean ML runs: ${outcomes.filter((outcome) => outcome === 'promoted').length} of 10 promoted; false rollbacks: ${outcomes.filter((outcome) => outcome.startsWith('rolled-back')).length}`);
    expect(outcomes).toEqual(Array(10).fill('promoted'));
  }, 300_000);
});
