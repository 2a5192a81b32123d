// Every row of the plan → Argo Rollouts mapping, and every refusal, with the span it is reported at.
import { describe, expect, it } from 'vitest';
import { exportPlan, ExportCodes } from '../../../src/core/export/index';
import { buildArgoRollouts } from '../../../src/core/export/rollout';
import { buildPrometheusRule } from '../../../src/core/export/prometheusRule';
import { planDigest, validatePlan } from '../../../src/core/plan/validate';
import { basePlan, planText } from './planText';

type Json = Record<string, any>;

async function exported(change: (plan: Json) => void = () => {}) {
  const plan = basePlan();
  change(plan);
  const text = planText(plan);
  const result = await exportPlan(text, ['argo-rollouts']);
  const objects = (result.objects ?? []).map(({ object }) => object as Json);
  const rollout = objects.find((object) => object.kind === 'Rollout');
  const templates = objects.filter((object) => object.kind === 'AnalysisTemplate');
  const findings = result.diagnostics.map((diagnostic) => ({ ...diagnostic, text: text.slice(diagnostic.start, diagnostic.end) }));
  return { text, result, rollout, templates, steps: rollout?.spec.strategy.canary?.steps as Json[] | undefined, findings };
}

const codes = (findings: { code: string }[]) => findings.map((finding) => finding.code);

describe('stages → canary steps', () => {
  it('canary traffic → setWeight, guardrails → an inline analysis step, full → the end of the steps', async () => {
    const { steps, templates, findings } = await exported();
    expect(findings).toEqual([]);
    expect(steps).toEqual([{ setWeight: 10 }, { analysis: { templates: [{ templateName: 'churn-v42-canary-10' }], args: [{ name: 'candidate-version', value: '42' }] } }]);
    expect(templates.map((template) => template.metadata.name)).toEqual(['churn-v42-canary-10']);
  });

  it('bake → pause {duration} (what the measurements do not cover), approval: manual → pause {}', async () => {
    const { steps } = await exported((plan) => {
      plan.stages[0] = { name: 'canary-10', kind: 'canary', traffic: 10, bake: '10m', approval: 'manual' };
      plan.stages.splice(1, 0, { name: 'canary-50', kind: 'canary', traffic: 50, bake: '2m15s', guardrails: ['error-rate'] });
    });
    expect(steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: '10m' } },
      { pause: {} },
      { setWeight: 50 },
      { analysis: expect.objectContaining({ templates: [{ templateName: 'churn-v42-canary-50' }] }) },
      // 4 measurements of 30s cover 2m; the bake's last 15s is a pause.
      { pause: { duration: '15s' } },
    ]);
  });

  it('a guardrail measures bake ÷ interval times, the first after one interval, as the engine does', async () => {
    const { templates } = await exported();
    expect(templates[0]!.spec.metrics[0]).toMatchObject({ name: 'error-rate', initialDelay: '30s', interval: '30s', count: 10 });
    const noBake = await exported((plan) => delete plan.stages[0].bake);
    expect(noBake.templates[0]!.spec.metrics[0]).toMatchObject({ initialDelay: '30s', interval: '30s', count: 1 });
  });

  it('a full stage with a bake keeps setWeight 100 and measures there; a final stage below 100 ends with an indefinite pause', async () => {
    const withBake = await exported((plan) => (plan.stages[1] = { name: 'full', kind: 'full', traffic: 100, bake: '1m', guardrails: ['error-rate'] }));
    expect(withBake.steps!.slice(2)).toEqual([{ setWeight: 100 }, { analysis: expect.anything() }]);
    const final = await exported((plan) => {
      plan.stages.pop();
      plan.stages[0].final = true;
    });
    expect(final.steps!.at(-1)).toEqual({ pause: {} });
  });

  it('an offline stage measures before any weight is set', async () => {
    const { steps } = await exported((plan) => plan.stages.unshift({ name: 'offline', kind: 'offline', bake: '1m', guardrails: ['error-rate'] }));
    expect(steps![0]).toEqual({ analysis: expect.objectContaining({ templates: [{ templateName: 'churn-v42-offline' }] }) });
    expect(steps![1]).toEqual({ setWeight: 10 });
  });
});

describe('shadow → setMirrorRoute', () => {
  const istio = { canaryService: 'churn-canary', stableService: 'churn-stable', trafficRouting: { istio: { virtualService: { name: 'churn', routes: ['primary'] } } } };

  it('mirrors every request through a managed route, scales the canary for the copies, and removes both after the stage', async () => {
    const { steps, rollout, findings } = await exported((plan) => {
      plan.stages.unshift({ name: 'shadow', kind: 'shadow', mirror: 50, bake: '1m' });
      Object.assign(plan.export.argoRollouts, istio);
    });
    expect(findings).toEqual([]);
    expect(rollout!.spec.strategy.canary.trafficRouting.managedRoutes).toEqual([{ name: 'rollgate-mirror' }]);
    expect(steps!.slice(0, 5)).toEqual([
      { setCanaryScale: { weight: 50 } },
      { setMirrorRoute: { name: 'rollgate-mirror', percentage: 50, match: [{ path: { prefix: '/' } }] } },
      { pause: { duration: '1m' } },
      { setMirrorRoute: { name: 'rollgate-mirror' } },
      { setCanaryScale: { matchTrafficWeight: true } },
    ]);
  });

  it('a canary stage that keeps mirroring rescales the canary when its weight moves', async () => {
    const { steps, findings } = await exported((plan) => {
      plan.stages = [
        { name: 'canary-10', kind: 'canary', traffic: 10, mirror: 50, bake: '1m' },
        { name: 'canary-30', kind: 'canary', traffic: 30, mirror: 50, bake: '1m' },
        { name: 'full', kind: 'full' },
      ];
      Object.assign(plan.export.argoRollouts, istio);
    });
    expect(findings).toEqual([]);
    expect(steps).toEqual([
      { setWeight: 10 },
      { setCanaryScale: { weight: 60 } },
      { setMirrorRoute: { name: 'rollgate-mirror', percentage: 50, match: [{ path: { prefix: '/' } }] } },
      { pause: { duration: '1m' } },
      { setWeight: 30 },
      { setCanaryScale: { weight: 80 } },
      { pause: { duration: '1m' } },
      { setMirrorRoute: { name: 'rollgate-mirror' } },
      { setCanaryScale: { matchTrafficWeight: true } },
    ]);
  });

  it('refuses mirroring without a traffic router, at the mirror', async () => {
    const { findings, result } = await exported((plan) => {
      plan.stages.unshift({ name: 'shadow', kind: 'shadow', mirror: 100, bake: '1m' });
      delete plan.export.argoRollouts.trafficRouting;
    });
    expect(result.objects).toBeUndefined();
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'error', code: ExportCodes.mirrorNeedsRouter, text: '100' }));
  });

  it('refuses mirroring with a router that cannot mirror (nginx), and a router without its Services', async () => {
    const { findings } = await exported((plan) => {
      plan.stages.unshift({ name: 'shadow', kind: 'shadow', bake: '1m' });
      plan.export.argoRollouts = { trafficRouting: { nginx: { stableIngress: 'churn' } } };
    });
    expect(findings).toContainEqual(expect.objectContaining({ code: ExportCodes.mirrorNeedsRouter, text: 'shadow' }));
    expect(findings).toContainEqual(expect.objectContaining({ code: ExportCodes.routerNeedsServices, text: 'trafficRouting' }));
  });

  it("refuses a trafficRouting that Argo's schema rejects, at trafficRouting", async () => {
    const { findings } = await exported((plan) => Object.assign(plan.export.argoRollouts, { ...istio, trafficRouting: { istio: { virtualService: { name: 5 } } } }));
    expect(findings).toEqual([expect.objectContaining({ code: ExportCodes.argoSchema, text: 'trafficRouting' })]);
    expect(findings[0]!.message).toContain('virtualService/name must be string');
  });
});

describe('blue-green → blueGreen strategy', () => {
  const blueGreen = (plan: Json) => {
    plan.stages = [
      { name: 'checks', kind: 'offline', bake: '1m', guardrails: ['error-rate'] },
      { name: 'switch', kind: 'blue-green', bake: '2m', guardrails: ['error-rate'] },
    ];
    Object.assign(plan.export.argoRollouts, { activeService: 'churn-active', previewService: 'churn-preview' });
  };

  it('takes the Services from the export block; offline guardrails run before the switch, the stage’s after it', async () => {
    const { rollout, findings } = await exported(blueGreen);
    expect(findings).toEqual([]);
    expect(rollout!.spec.strategy).toEqual({
      blueGreen: {
        activeService: 'churn-active',
        previewService: 'churn-preview',
        autoPromotionEnabled: true,
        prePromotionAnalysis: { templates: [{ templateName: 'churn-v42-checks' }], args: [{ name: 'candidate-version', value: '42' }] },
        postPromotionAnalysis: { templates: [{ templateName: 'churn-v42-switch' }], args: [{ name: 'candidate-version', value: '42' }] },
      },
    });
  });

  it('approval: manual → autoPromotionEnabled: false, with a warning that the gate moves before the switch', async () => {
    const { rollout, findings } = await exported((plan) => {
      blueGreen(plan);
      plan.stages[1].approval = 'manual';
    });
    expect(rollout!.spec.strategy.blueGreen.autoPromotionEnabled).toBe(false);
    expect(findings).toEqual([expect.objectContaining({ severity: 'warning', code: ExportCodes.blueGreenGateBeforeSwitch, text: 'manual' })]);
  });

  it('refuses canary stages, stages after the switch, a bake it cannot pause for, and a missing activeService', async () => {
    const { findings } = await exported((plan) => {
      plan.stages = [
        { name: 'canary-10', kind: 'canary', traffic: 10 },
        { name: 'switch', kind: 'blue-green', bake: '5m' },
        { name: 'after', kind: 'full', bake: '1m' },
      ];
    });
    expect(findings.map((finding) => [finding.code, finding.text])).toEqual([
      [ExportCodes.mixedStrategies, 'canary'],
      [ExportCodes.blueGreenNeedsActiveService, 'blue-green'],
      [ExportCodes.bakeNotExpressible, '5m'],
      [ExportCodes.blueGreenStageOrder, 'full'],
    ]);
  });
});

describe('guardrails → Prometheus metrics', () => {
  it('address from endpoints.metrics.url, timeout in seconds, min/max → conditions that handle no data', async () => {
    const { templates } = await exported((plan) => {
      plan.endpoints.metrics.timeout = '10s';
      plan.guardrails[0] = { ...plan.guardrails[0], min: 0.001, max: 0.02, onNoData: 'fail' };
    });
    expect(templates[0]!.spec.metrics[0]).toMatchObject({
      successCondition: 'len(result) == 1 && (result[0] >= 0.001 && result[0] <= 0.02)',
      failureCondition: 'len(result) != 1 || isNaN(result[0]) || (result[0] < 0.001 || result[0] > 0.02)',
      provider: { prometheus: { address: 'http://prometheus.monitoring:9090', timeout: 10 } },
    });
  });

  it('onNoData: pass and inconclusive', async () => {
    const pass = await exported((plan) => (plan.guardrails[0].onNoData = 'pass'));
    expect(pass.templates[0]!.spec.metrics[0]).toMatchObject({ successCondition: 'len(result) != 1 || isNaN(result[0]) || (result[0] <= 0.02)', failureCondition: 'len(result) == 1 && (result[0] > 0.02)' });
    const inconclusive = await exported((plan) => (plan.guardrails[0].onNoData = 'inconclusive'));
    expect(inconclusive.templates[0]!.spec.metrics[0]).toMatchObject({ successCondition: 'len(result) == 1 && (result[0] <= 0.02)', failureCondition: 'len(result) == 1 && (result[0] > 0.02)' });
  });

  it('a query that returns a scalar is judged as a number', async () => {
    const { templates } = await exported((plan) => (plan.guardrails[0].query = 'scalar(sum(rate(errors_total{version="{{version}}"}[1m])))'));
    expect(templates[0]!.spec.metrics[0]).toMatchObject({ successCondition: '!isNaN(result) && (result <= 0.02)', failureCondition: '!isNaN(result) && (result > 0.02)' });
  });

  it('a baseline-relative guardrail → the ratio query (0 ÷ 0 counts as 1) with the ratio bounds; bounds and ratio → two metrics', async () => {
    const { templates, steps } = await exported((plan) => {
      plan.guardrails[0] = { name: 'latency', query: 'p99{version="{{version}}"}', relativeTo: 'baseline', maxRatio: 1.2, max: 0.5 };
      plan.stages[0].guardrails = ['latency'];
    });
    const [absolute, ratio] = templates[0]!.spec.metrics;
    expect(absolute).toMatchObject({ name: 'latency', provider: { prometheus: { query: 'p99{version="{{args.candidate-version}}"}' } } });
    expect(ratio.name).toBe('latency-ratio');
    expect(ratio.provider.prometheus.query).toBe(
      '((p99{version="{{args.candidate-version}}"}) / on() (p99{version="{{args.baseline-version}}"}) unless on() ((p99{version="{{args.candidate-version}}"}) == 0 and on() (p99{version="{{args.baseline-version}}"}) == 0)) or on() (vector(1) and on() ((p99{version="{{args.candidate-version}}"}) == 0 and on() (p99{version="{{args.baseline-version}}"}) == 0))',
    );
    expect(ratio.successCondition).toBe('len(result) == 1 && (result[0] <= 1.2)');
    expect(steps![1]!.analysis.args).toEqual([
      { name: 'baseline-version', value: '41' },
      { name: 'candidate-version', value: '42' },
    ]);
  });

  it('placeholders → args: plan values, or pod template hashes of the latest and stable ReplicaSets', async () => {
    const { templates, steps } = await exported((plan) => {
      plan.guardrails[0].query = 'sum(x{version="{{candidate.version}}",base="{{baseline.version}}",svc="{{metadata.service}}",plan="{{metadata.name}}",model="{{model.name}}"})';
      plan.export.argoRollouts.versionValue = 'podTemplateHash';
    });
    expect(templates[0]!.spec.args).toEqual(['baseline-version', 'candidate-version', 'model', 'plan', 'service'].map((name) => ({ name })));
    expect(templates[0]!.spec.metrics[0].provider.prometheus.query).toBe(
      'sum(x{version="{{args.candidate-version}}",base="{{args.baseline-version}}",svc="{{args.service}}",plan="{{args.plan}}",model="{{args.model}}"})',
    );
    expect(steps![1]!.analysis.args).toEqual([
      { name: 'baseline-version', valueFrom: { podTemplateHashValue: 'Stable' } },
      { name: 'candidate-version', valueFrom: { podTemplateHashValue: 'Latest' } },
      { name: 'model', value: 'churn' },
      { name: 'plan', value: 'churn-v42' },
      { name: 'service', value: 'churn-scorer' },
    ]);
  });

  it('dryRun → the template’s dryRun list; the token reference → a header whose value comes from a Kubernetes Secret', async () => {
    const { templates, text } = await exported((plan) => {
      plan.guardrails[0].dryRun = true;
      plan.endpoints.metrics.token = { secret: 'prometheus-reader' };
    });
    const spec = templates[0]!.spec;
    expect(spec.dryRun).toEqual([{ metricName: 'error-rate' }]);
    expect(spec.args).toContainEqual({ name: 'metrics-token', valueFrom: { secretKeyRef: { name: 'prometheus-reader', key: 'token' } } });
    expect(spec.metrics[0].provider.prometheus.headers).toEqual([{ key: 'Authorization', value: 'Bearer {{args.metrics-token}}' }]);
    expect(text).not.toContain('Bearer ');
  });

  it('failureLimit (in a row) → Argo failureLimit - 1 (in the run); rollback.automatic: false → breaches are Inconclusive', async () => {
    const automatic = await exported((plan) => (plan.guardrails[0].failureLimit = 3));
    expect(automatic.templates[0]!.spec.metrics[0]).toMatchObject({ failureLimit: 2 });
    const paused = await exported((plan) => {
      plan.guardrails[0].failureLimit = 3;
      plan.guardrails[0].onNoData = 'fail';
      plan.rollback.automatic = false;
    });
    const metric = paused.templates[0]!.spec.metrics[0];
    expect(metric).toMatchObject({ failureCondition: 'false', inconclusiveLimit: 2 });
    expect(metric.failureLimit).toBeUndefined();
  });

  it('refuses a guardrail kind other than threshold, at its kind', () => {
    const plan = validatePlan(planText(basePlan())).plan!;
    (plan.guardrails[0] as Json).kind = 'drift';
    const { findings } = buildArgoRollouts(plan, planDigest('x'));
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'error', code: ExportCodes.guardrailKind, path: ['guardrails', 0, 'kind'] }));
    expect(findings.find((finding) => finding.code === ExportCodes.guardrailKind)!.message).toMatch(/^Guardrail kind drift cannot be exported to Argo Rollouts: /);
  });

  it('leaves a statistical guardrail out of the PrometheusRule with a warning, and says so in the rule', () => {
    const plan = validatePlan(planText(basePlan())).plan!;
    (plan.guardrails[0] as Json).kind = 'drift';
    const { findings, objects } = buildPrometheusRule(plan, planDigest('x'));
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'warning', code: ExportCodes.guardrailKind, path: ['guardrails', 0, 'kind'] }));
    expect(findings.filter((finding) => finding.severity === 'error')).toEqual([]);
    const groups = (objects[0]!.object as Json).spec.groups as Json[];
    expect(groups.map((group) => JSON.stringify(group))).not.toContainEqual(expect.stringContaining(`"rollgate_guardrail":"${plan.guardrails[0]!.name}"`));
    expect(objects[0]!.comment).toContain(`not alerted: ${plan.guardrails[0]!.name} (drift)`);
  });
});

describe('the Rollout object', () => {
  it('lineage and plan digest → annotations; workload, replicas and namespace from the export block', async () => {
    const { rollout, text } = await exported((plan) => Object.assign(plan.export.argoRollouts, { namespace: 'ml', workloadRef: { name: 'churn-deploy', scaleDown: 'onsuccess' } }));
    expect(rollout!.metadata).toMatchObject({ name: 'churn-scorer', namespace: 'ml' });
    expect(rollout!.metadata.annotations).toMatchObject({
      'rollgate.dev/plan': 'churn-v42',
      'rollgate.dev/plan-digest': planDigest(text),
      'rollgate.dev/candidate': JSON.stringify(basePlan().model.candidate),
      'rollgate.dev/lineage-training': '{"run":"run-8812","commit":"1a2b3c4"}',
    });
    expect(rollout!.spec).toMatchObject({ replicas: 4, workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'churn-deploy', scaleDown: 'onsuccess' } });
  });

  it('flags are not exported (a warning listing them); without an export block the defaults are named', async () => {
    const { findings, result } = await exported((plan) => {
      plan.flags = [{ name: 'new-ranking', default: 'off' }];
      plan.endpoints.flags = { type: 'unleash', url: 'http://unleash.example.com:4242', token: { secret: 'unleash-token' }, environment: 'production' };
      delete plan.export;
    });
    expect(result.objects).toBeDefined();
    expect(findings.map((finding) => [finding.severity, finding.code, finding.text])).toEqual([
      ['warning', ExportCodes.defaultsUsed, 'churn-scorer'],
      ['warning', ExportCodes.weightByReplicas, '10'],
      ['warning', ExportCodes.flagsNotExported, 'flags'],
    ]);
    expect(findings[2]!.message).toContain("'new-ranking'");
  });

  it('refuses a rollback target other than the baseline, sub-second pauses and timeouts, and names Kubernetes cannot hold', async () => {
    const { findings } = await exported((plan) => {
      plan.rollback.to = '40';
      plan.stages[0].bake = '1m30s500ms';
      plan.endpoints.metrics.timeout = '1500ms';
      plan.stages[0].name = 'canary_10';
    });
    expect(findings.map((finding) => [finding.code, finding.text])).toEqual([
      [ExportCodes.wholeSeconds, '1500ms'],
      [ExportCodes.kubernetesName, 'canary_10'],
      [ExportCodes.wholeSeconds, '1m30s500ms'],
      [ExportCodes.rollbackTarget, '"40"'],
    ]);
  });

  it('warns when Prometheus is on loopback: the analysis runs in the cluster', async () => {
    const { findings } = await exported((plan) => (plan.endpoints.metrics.url = 'http://127.0.0.1:9090'));
    expect(findings).toEqual([expect.objectContaining({ severity: 'warning', code: ExportCodes.loopbackPrometheus, text: 'http://127.0.0.1:9090' })]);
    const overridden = await exported((plan) => {
      plan.endpoints.metrics.url = 'http://127.0.0.1:9090';
      plan.export.argoRollouts.prometheusAddress = 'http://prometheus.monitoring:9090';
    });
    expect(overridden.findings).toEqual([]);
    expect(overridden.templates[0]!.spec.metrics[0].provider.prometheus.address).toBe('http://prometheus.monitoring:9090');
  });

  it('an invalid plan is not exported: its own errors are the findings', async () => {
    const { result } = await exported((plan) => (plan.stages[0].traffic = 150));
    expect(result.objects).toBeUndefined();
    expect(codes(result.diagnostics)).toContain('schema/out-of-range');
  });
});
