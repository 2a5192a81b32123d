// A report of a drill of the ML guardrail kinds (drift, compare, calibration, a judged stage) with
// the real engine, `rollgate dev` and a real Prometheus: a scoreShift breaks the critical drift
// guardrail and the rollout rolls back. The report must say what each kind's number is, the rule
// it is judged by, the figures behind the deciding measurement, and the judged stage's scores.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildReport, collectFromLedger, DeploymentTraffic, Ledger, LedgerChangeLog, MemoryStateStore, PrometheusMetrics, renderHtml, renderMarkdown, RolloutEngine } from '../../../src/core/index';
import { validatePlan } from '../../../src/core/plan/validate';
import { devDigest } from '../../../src/dev/index';
import { eventually, useDevStack } from '../../support/devStack';

const dev = useDevStack({ requestsPerSecond: 100, labelDelayMs: 200 });

function mlPlan(): string {
  const { stack } = dev();
  return `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: churn-v42-ml-report, service: churn-scorer, environment: dev }
model:
  name: churn
  candidate: { version: "42", artifact: s3://models/churn/42, digest: "${devDigest('42')}" }
  baseline: { version: "41", artifact: s3://models/churn/41, digest: "${devDigest('41')}" }
endpoints:
  deployment: { url: "${stack.deploymentUrl}" }
  metrics: { url: "${stack.prometheusUrl}" }
guardrails:
  - { name: score-drift, kind: drift, histogram: rollgate_dev_prediction_score, window: 8s, max: 0.25, minSamples: 150, interval: 1s, failureLimit: 2, onNoData: pass, critical: true }
  - { name: calibration, kind: calibration, counter: rollgate_dev_labels_by_bin_total, window: 8s, max: 0.15, minSamples: 150, interval: 2s, onNoData: pass }
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
    bake: 60s
    guardrails: [score-drift, calibration, latency-compare]
    judge: { pass: 75, marginal: 50 }
  - { name: full, kind: full, traffic: 100 }
rollback: { to: baseline, automatic: true }
`;
}

describe('a report of an ML drill', () => {
  it('shows drift, compare and calibration measurements with their figures, and the judged stage', { timeout: 150_000 }, async () => {
    const { stack, deployment, prometheus } = dev();
    await deployment.setTraffic({ '41': 50, '42': 50 }, {}, { idempotencyKey: 'ml-report-warmup' });
    await eventually(
      async () => {
        const { result } = await prometheus.query('sum(increase(rollgate_dev_labels_by_bin_total{version="42"}[8s]))');
        return result.resultType === 'vector' && (result.samples[0]?.value ?? 0) > 200 ? true : undefined;
      },
      60_000,
      'labelled predictions of 42',
    );
    await deployment.rollback('41', 'report drill reset');

    const { plan, diagnostics } = validatePlan(mlPlan());
    if (!plan) throw new Error(`plan invalid: ${JSON.stringify(diagnostics)}`);
    const ledgerFile = path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-ml-report-')), 'ledger.jsonl');
    const engine = await RolloutEngine.create({
      plan,
      planDigest: `sha256:${'0'.repeat(64)}`,
      traffic: new DeploymentTraffic(deployment, { candidate: plan.model.candidate, baseline: plan.model.baseline }),
      metrics: new PrometheusMetrics(prometheus),
      changeLog: new LedgerChangeLog(new Ledger({ path: ledgerFile })),
      stateStore: new MemoryStateStore(),
      actor: 'test',
      restart: true,
    });
    let injected = false;
    engine.onEvent((event) => {
      // The fault strikes once the compare guardrail has given a verdict (it collects samples first).
      if (!injected && event.kind === 'measured' && event.measurement?.guardrail === 'latency-compare' && event.measurement.value !== undefined && !event.measurement.collecting) {
        injected = true;
        stack.injectFault({ version: '42', scoreShift: 0.35 });
      }
    });
    const final = await engine.run();
    stack.clearFaults();
    expect(injected, `${final.status}: ${final.pauseReason ?? final.rollback?.reason ?? ''}`).toBe(true);
    expect(final.status).toBe('rolled-back');

    const model = buildReport(await collectFromLedger({ file: ledgerFile, selector: { kind: 'latest-run' } }));
    const byName = (name: string) => model.guardrails.find((series) => series.guardrail === name)!;

    const drift = byName('score-drift');
    expect(drift.kind).toBe('drift');
    expect(drift.measures).toMatch(/^PSI/);
    expect(drift.failed).toBeGreaterThanOrEqual(2);
    // The evidence is the failing measurement's buckets: shares in percent, one row per bucket up to +Inf.
    expect(drift.evidence!.header).toEqual(['le', 'Baseline share', 'Candidate share', 'Baseline count', 'Candidate count']);
    expect(drift.evidence!.rows.length).toBeGreaterThan(3);
    expect(drift.evidence!.rows.at(-1)![0]).toBe('+Inf');
    expect(drift.points.filter((point) => point.outcome === 'fail').every((point) => (point.value ?? 0) > 0.25)).toBe(true);
    expect(drift.points.every((point) => /candidate \/ .* baseline scores over 8s/.test(point.note ?? ''))).toBe(true);

    const compare = byName('latency-compare');
    expect(compare.kind).toBe('compare');
    expect(compare.rule).toMatch(/^fails when p < 0\.02 \(confidence 0\.98\) and the median moved more than 50 % \(increase\)$/);
    expect(compare.bound.min).toBeCloseTo(0.02, 10);
    expect(compare.points.every((point) => point.value === null || (point.value >= 0 && point.value <= 1))).toBe(true);
    expect(compare.evidence!.rows.map((row) => row[0])).toContain('p-value');

    const calibration = byName('calibration');
    expect(calibration.kind).toBe('calibration');
    expect(calibration.evidence!.header).toEqual(['Bin', 'Confidence', 'Observed rate', 'Gap', 'Count']);

    // The judged stage: a score per measurement round, and the critical breach that failed it.
    expect(model.judgements.length).toBeGreaterThan(1);
    expect(model.judgements.every((row) => row.stage === 'canary-50' && row.pass === 75 && row.marginal === 50)).toBe(true);
    const failed = model.judgements.find((row) => row.action === 'guardrail-breach')!;
    expect(failed.verdict).toBe('fail');
    expect(failed.criticalBreaches).toContain('score-drift');
    const seqs = model.judgements.map((row) => row.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(model.recovery.status).toBe('recovered');

    const markdown = renderMarkdown(model);
    expect(markdown).toContain('## Judged stages');
    expect(markdown).toContain('drift guardrail: the value is the PSI');
    expect(markdown).toMatch(/Score distribution at .*:\n\n\| le \| Baseline share/);
    expect(markdown).toContain('Calibration bins at');
    const htmlReport = renderHtml(model);
    expect(htmlReport.match(/<svg /g)?.length).toBe(model.guardrails.length);
    expect(htmlReport).toContain('<h2>Judged stages</h2>');
    expect(htmlReport).toContain('fails when p &lt; 0.02');
    expect(htmlReport).not.toMatch(/<script|<link|<img|url\(/i);
  });
});
