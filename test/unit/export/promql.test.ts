// The PromQL the export writes, run by the real Prometheus engine (`promtool test rules`, from the
// Debian prometheus package): the ratio query follows the Rollgate engine's rules, and the
// PrometheusRule passes `promtool check rules` and fires after failureLimit breaches in a row.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { exportPlan } from '../../../src/core/export/index';
import { ratioQuery } from '../../../src/core/export/queries';
import { basePlan, planText } from './planText';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'rollgate-promql-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: scratch, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

async function testRules(name: string, rules: unknown, tests: unknown): Promise<{ code: number; output: string }> {
  writeFileSync(join(scratch, `${name}.rules.yaml`), stringify(rules));
  writeFileSync(join(scratch, `${name}.test.yaml`), stringify({ rule_files: [`${name}.rules.yaml`], evaluation_interval: '1m', tests }));
  return promtool(['test', 'rules', `${name}.test.yaml`]);
}

describe('PromQL of the export, in the real Prometheus engine', () => {
  it('candidate ÷ baseline: a ratio, 0 ÷ 0 = 1, x ÷ 0 = +Inf, an empty side = no data (as the engine counts)', async () => {
    const query = ratioQuery('p99{version="42"}', 'p99{version="41"}');
    // minute:          0  1  2  3
    const candidate = '2 0 1 stale';
    const baseline = '1 0 0 1';
    const expect = (minute: number, value?: number | string) => ({ expr: query, eval_time: `${minute}m`, exp_samples: value === undefined ? [] : [{ labels: '{}', value }] });
    const result = await testRules('ratio', { groups: [] }, [
      {
        interval: '1m',
        input_series: [
          { series: 'p99{version="42"}', values: candidate },
          { series: 'p99{version="41"}', values: baseline },
        ],
        promql_expr_test: [expect(0, 2), expect(1, 1), expect(2, Number.POSITIVE_INFINITY), expect(3)],
      },
    ]);
    assertPassed(result);
  });

  it('the same harness fails on a wrong expectation (so a pass means something)', async () => {
    const query = ratioQuery('p99{version="42"}', 'p99{version="41"}');
    const result = await testRules('wrong', { groups: [] }, [
      {
        interval: '1m',
        input_series: [
          { series: 'p99{version="42"}', values: '0' },
          { series: 'p99{version="41"}', values: '0' },
        ],
        promql_expr_test: [{ expr: query, eval_time: '0m', exp_samples: [{ labels: '{}', value: 0 }] }],
      },
    ]);
    expect(result.code).not.toBe(0);
  });

  it('the PrometheusRule passes promtool check rules and alerts after failureLimit breaching evaluations in a row', async () => {
    const plan = basePlan();
    plan.guardrails = [
      { name: 'error-rate', query: 'error_ratio{version="{{version}}"}', max: 0.02, interval: '1m', failureLimit: 2, onNoData: 'fail' },
      { name: 'latency', query: 'p99{version="{{version}}"}', relativeTo: 'baseline', maxRatio: 1.5, interval: '1m' },
    ];
    plan.stages[0].guardrails = ['error-rate', 'latency'];
    const exported = await exportPlan(planText(plan), ['prometheus-rule']);
    const rule = exported.objects![0]!.object as unknown as { spec: { groups: unknown[] } };
    const rules = { groups: rule.spec.groups };
    writeFileSync(join(scratch, 'plan.rules.yaml'), stringify(rules));
    const check = await promtool(['check', 'rules', 'plan.rules.yaml']);
    expect(check.output).toContain('SUCCESS');
    expect(check.code).toBe(0);

    const labels = { severity: 'critical', rollgate_plan: 'churn-v42', service: 'churn-scorer' };
    const result = await testRules('plan', rules, [
      {
        interval: '1m',
        input_series: [
          // A breach at minute 2 only (one in a row: no alert), then from minute 4 on.
          { series: 'error_ratio{version="42"}', values: '0.01 0.01 0.05 0.01 0.05 0.05 0.05' },
          { series: 'p99{version="42"}', values: '0.3 0.3 0.3 0.3 0.3 0.3 0.3' },
          { series: 'p99{version="41"}', values: '0.3 0.3 0.3 0.3 0.1 0.1 0.1' },
        ],
        alert_rule_test: [
          { eval_time: '3m', alertname: 'RollgateChurnV42ErrorRateBreach', exp_alerts: [] },
          { eval_time: '4m', alertname: 'RollgateChurnV42ErrorRateBreach', exp_alerts: [] },
          {
            eval_time: '5m',
            alertname: 'RollgateChurnV42ErrorRateBreach',
            exp_alerts: [
              {
                exp_labels: { ...labels, rollgate_guardrail: 'error-rate', version: '42' },
                exp_annotations: { summary: 'Guardrail error-rate of churn-v42 is outside <= 0.02.', description: 'Guardrail error-rate Value: 0.05.' },
              },
            ],
          },
          { eval_time: '3m', alertname: 'RollgateChurnV42LatencyBreach', exp_alerts: [] },
          {
            eval_time: '4m',
            alertname: 'RollgateChurnV42LatencyBreach',
            exp_alerts: [
              {
                exp_labels: { ...labels, rollgate_guardrail: 'latency' },
                exp_annotations: { summary: 'Guardrail latency of churn-v42: candidate 42 / baseline 41 is outside <= 1.5.', description: 'Guardrail latency Value: 2.9999999999999996.' },
              },
            ],
          },
        ],
      },
    ]);
    assertPassed(result);
  });
});

function assertPassed(result: { code: number; output: string }): void {
  expect(result.output, result.output).toContain('SUCCESS');
  expect(result.code, result.output).toBe(0);
}
