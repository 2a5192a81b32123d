// rollgate import over real Argo Rollouts objects (test/fixtures/argo, from Argo's repository and
// docs), and the round trip export(import(x)) for the ones a plan can express.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { exportPlan, importArgo } from '../../../src/core/export/index';
import { parseGoDuration } from '../../../src/core/export/format';
import { validatePlan } from '../../../src/core/plan/validate';

type Json = Record<string, any>;
const fixture = (name: string) => ({ name, text: readFileSync(join(__dirname, '../../fixtures/argo', name), 'utf8') });
const example = (name: string) => readFileSync(join(__dirname, '../../../examples', name), 'utf8');

/** Fills the placeholders an import leaves, as a person would, so the plan can be validated and exported. */
function filled(planText: string): string {
  const plan = parse(planText) as Json;
  plan.metadata.environment = 'staging';
  for (const [role, version] of [
    ['candidate', '2'],
    ['baseline', '1'],
  ] as const) {
    const model = plan.model[role];
    if (model.version === '') Object.assign(model, { version, artifact: `s3://models/${version}`, digest: `sha256:${(role === 'candidate' ? 'c' : 'b').repeat(64)}` });
  }
  plan.endpoints.deployment.url = 'http://127.0.0.1:8700';
  if (plan.endpoints.metrics.url === '') plan.endpoints.metrics.url = 'http://prometheus.example.com:9090';
  return stringify(plan, { lineWidth: 0 });
}

const objectsOf = (text: string) =>
  parseAllDocuments(text)
    .map((document) => document.toJS() as Json)
    .filter((object) => object?.apiVersion === 'argoproj.io/v1alpha1');
const normalise = (steps: Json[]) => steps.map((step) => (step.pause?.duration !== undefined ? { pause: { duration: parseGoDuration(step.pause.duration) } } : step));

async function roundTrip(...sources: { name: string; text: string }[]) {
  const imported = await importArgo(sources);
  expect(imported.errors).toEqual([]);
  const text = filled(imported.planText!);
  expect(validatePlan(text).diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
  const exported = await exportPlan(text, ['argo-rollouts']);
  expect(exported.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
  const objects = exported.objects!.map(({ object }) => object as Json);
  return { imported, rollout: objects.find((object) => object.kind === 'Rollout')!, templates: objects.filter((object) => object.kind === 'AnalysisTemplate') };
}

describe('rollgate import', () => {
  it('a placeholder fails validation until it is filled in: nothing is invented', async () => {
    const imported = await importArgo([fixture('rollout-canary.yaml')]);
    const findings = validatePlan(imported.planText!).diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    const paths = findings.map((finding) => imported.planText!.slice(finding.start, finding.end));
    expect(paths).toEqual(expect.arrayContaining(['""', 'sha256:FILL-IN']));
    expect(imported.planText).toMatch(/version: "" # FILL IN: the candidate's version label/);
  });

  it('lists what a plan cannot express, at the top of the plan and in the notes: non-Prometheus providers, narrow mirrors, setCanaryScale', async () => {
    const job = await importArgo([fixture('rollout-analysis-step.yaml'), fixture('analysis-templates.yaml')]);
    expect(job.notes).toContain("step 1 (analysis): metric 'random-fail': provider job (only Prometheus metrics become guardrails)");
    expect(job.planText).toContain("# - step 1 (analysis): metric 'random-fail': provider job");
    const mirror = await importArgo([fixture('istio-mirror.yaml')]);
    expect(mirror.notes).toEqual(
      expect.arrayContaining([
        'step 0: setCanaryScale (the plan gives the candidate traffic, not a pod count)',
        "step 1: setMirrorRoute 'mirror-route' mirrors only matching requests (a plan's shadow stage mirrors a share of all traffic)",
      ]),
    );
  });

  it('lists header routes and experiments, and cluster settings of the strategy', async () => {
    const header = await importArgo([fixture('alb-header-route.yaml')]);
    expect(header.notes).toEqual(
      expect.arrayContaining([
        'step 2: setHeaderRoute step (header routes have no plan stage)',
        'step 4: setHeaderRoute step (header routes have no plan stage)',
        'canary.scaleDownDelaySeconds (a cluster setting the plan does not hold)',
      ]),
    );
    // Argo's own example writes the template's interval as a number, which Argo's schema (a duration string) rejects.
    const whole = await importArgo([fixture('rollout-experiment-step.yaml')]);
    expect(whole.errors).toEqual([expect.stringMatching(/^AnalysisTemplate 'random-fail' does not match Argo Rollouts' schema: .*interval must be string/)]);
    const rolloutOnly = fixture('rollout-experiment-step.yaml').text.split('\n---\n')[0]!;
    const experiment = await importArgo([{ name: 'rollout-experiment-step.yaml', text: rolloutOnly }]);
    expect(experiment.notes).toContain('step 1: experiment step (experiments have no plan stage)');
    expect(experiment.planText).toContain('# - step 1: experiment step (experiments have no plan stage)');
  });

  it('refuses input without a Rollout, with several, or one that fails Argo’s schema', async () => {
    expect((await importArgo([fixture('analysis-templates.yaml')])).errors).toEqual(['no Argo Rollout (apiVersion argoproj.io/v1alpha1, kind Rollout) in the input']);
    const two = await importArgo([fixture('rollout-canary.yaml'), fixture('rollout-bluegreen.yaml')]);
    expect(two.errors[0]).toMatch(/several Rollouts in the input \(rollout-canary, rollout-bluegreen\)/);
    expect((await importArgo([fixture('rollout-canary.yaml'), fixture('rollout-bluegreen.yaml')], { rollout: 'rollout-bluegreen' })).planText).toBeDefined();
    const broken = fixture('rollout-canary.yaml').text.replace('setWeight: 20', 'setWeight: twenty');
    expect((await importArgo([{ name: 'broken.yaml', text: broken }])).errors[0]).toMatch(/Rollout 'rollout-canary' does not match Argo Rollouts' schema: .*setWeight must be integer/);
  });

  it('round trip: rollout-canary keeps every setWeight and pause', async () => {
    const original = objectsOf(fixture('rollout-canary.yaml').text)[0]!;
    const { rollout, imported } = await roundTrip(fixture('rollout-canary.yaml'));
    expect(imported.notes).toEqual(['spec.template (the pod template) is not part of a plan: move it to a Deployment and name it in export.argoRollouts.workloadRef']);
    expect(normalise(rollout.spec.strategy.canary.steps)).toEqual(normalise(original.spec.strategy.canary.steps));
    expect(rollout.spec.replicas).toBe(5);
  });

  it('round trip: rollout-bluegreen keeps its Services and the manual gate before the switch', async () => {
    const original = objectsOf(fixture('rollout-bluegreen.yaml').text)[0]!;
    const { rollout } = await roundTrip(fixture('rollout-bluegreen.yaml'));
    expect(rollout.spec.strategy).toEqual(original.spec.strategy);
  });

  it('round trip: the docs’ analysis step keeps the weight, the wait and the one Prometheus measurement after it', async () => {
    const [original, template] = objectsOf(fixture('docs-analysis-step.yaml').text);
    const { rollout, templates } = await roundTrip(fixture('docs-analysis-step.yaml'));
    const steps = rollout.spec.strategy.canary.steps;
    expect(steps[0]).toEqual({ setWeight: 20 });
    const metric = templates[0]!.spec.metrics[0];
    // pause 5m then one measurement → one measurement 5m after the weight is set.
    expect(metric).toMatchObject({ name: 'success-rate', initialDelay: '5m', interval: '5m', count: 1, provider: { prometheus: { address: 'http://prometheus.example.com:9090' } } });
    expect(metric.successCondition).toContain('result[0] >= 0.95');
    // The arg the Rollout passed is in the query (a plan has no args of its own).
    expect(metric.provider.prometheus.query).toBe(template!.spec.metrics[0].provider.prometheus.query.trim().replaceAll('{{args.service-name}}', original!.spec.strategy.canary.steps[2].analysis.args[0].value));
  });

  it('round trip: the docs’ background analysis keeps the weights, the waits and the metric from step 2 on', async () => {
    const [original] = objectsOf(fixture('docs-background-analysis.yaml').text);
    const { rollout, templates, imported } = await roundTrip(fixture('docs-background-analysis.yaml'));
    expect(imported.notes).toContain("background analysis: metric 'success-rate': Argo fails after 4 failed measurements in the whole run; the plan's failureLimit 4 counts them in a row");
    const steps: Json[] = rollout.spec.strategy.canary.steps;
    expect(steps.filter((step) => 'setWeight' in step)).toEqual(original!.spec.strategy.canary.steps.filter((step: Json) => 'setWeight' in step));
    // Every stage still waits 10 minutes: a pause, or five measurements 2m apart... here 2 of 5m.
    expect(templates.map((template) => template.metadata.annotations['rollgate.dev/stage'])).toEqual(['canary-40', 'canary-60', 'canary-80']);
    for (const template of templates) expect(template.spec.metrics[0]).toMatchObject({ name: 'success-rate', interval: '5m', count: 2, failureLimit: 3 });
    expect(steps.slice(0, 2)).toEqual([{ setWeight: 20 }, { pause: { duration: '10m' } }]);
  });

  it('round trip of Rollgate’s own export: import(export(plan)) exports to the same Rollout steps and metrics', async () => {
    const text = example('churn-argo-canary.rollout.yaml');
    const first = await exportPlan(text, ['argo-rollouts']);
    const sources = [{ name: 'exported.yaml', text: (await import('../../../src/core/export/render')).renderYaml(first.objects!) }];
    const imported = await importArgo(sources);
    expect(imported.notes.length).toBeGreaterThan(0);
    for (const note of imported.notes)
      expect(note).toMatch(/^step \d+ \(analysis\): metric '(error-rate|p99-latency)': Argo fails after 2 failed measurements in the whole run; the plan's failureLimit 2 counts them in a row$/);
    // Versions, digests and lineage come back from the Rollout's annotations.
    expect(
      validatePlan(imported.planText!)
        .diagnostics.filter((diagnostic) => diagnostic.severity === 'error')
        .map((d) => imported.planText!.slice(d.start, d.end)),
    ).toEqual(['""']);
    const second = await exportPlan(imported.planText!.replace('url: "" #', 'url: http://127.0.0.1:8700 #'), ['argo-rollouts']);
    expect(second.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
    const strip = (objects: typeof first.objects) =>
      objects!.map(({ object }) => {
        const copy = JSON.parse(JSON.stringify(object));
        delete copy.metadata.annotations['rollgate.dev/plan-digest'];
        return copy.kind === 'Rollout'
          ? copy.spec
          : {
              name: copy.metadata.name.replace('churn-v42-argo-', ''),
              metrics: copy.spec.metrics.map((metric: Json) => ({ ...metric, provider: { prometheus: { ...metric.provider.prometheus, query: metric.provider.prometheus.query } } })),
            };
      });
    const [firstRollout, ...firstTemplates] = strip(first.objects);
    const [secondRollout, ...secondTemplates] = strip(second.objects);
    expect(secondRollout).toEqual(firstRollout);
    expect(secondTemplates.map((template: Json) => template.metrics.map((metric: Json) => metric.name))).toEqual(firstTemplates.map((template: Json) => template.metrics.map((metric: Json) => metric.name)));
    expect(secondTemplates.flatMap((template: Json) => template.metrics.map((metric: Json) => [metric.successCondition, metric.count, metric.interval]))).toEqual(
      firstTemplates.flatMap((template: Json) => template.metrics.map((metric: Json) => [metric.successCondition, metric.count, metric.interval])),
    );
  });
});
