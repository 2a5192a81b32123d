// Every exported object validates with @kubernetes-models (Argo Rollouts, prometheus-operator), and
// every key it has is one those schemas declare (their validators would let an unknown key pass).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSchemas, exportPlan } from '../../../src/core/export/index';
import { unknownKeys } from '../../support/knownKeys';
import { basePlan, planText } from './planText';

const root = join(__dirname, '../../..');
// The ML sample's stages are judged by Rollgate's own statistics (drift, compare, calibration),
// which Argo cannot run: its refusal is checked below instead.
const statisticalExample = 'churn-ml-guardrails.rollout.yaml';
const examples = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.rollout.yaml') && name !== statisticalExample);

describe('exported objects against the real schemas', () => {
  it('the key check can fail: it finds keys the schemas do not declare, at any depth', () => {
    expect(unknownKeys({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'x', bogus: 1 }, spec: { strategy: { canary: { steps: [{ setWeight: 5 }, { pauze: {} }] } } } })).toEqual([
      'metadata.bogus',
      'spec.strategy.canary.steps[1].pauze',
    ]);
    expect(unknownKeys({ kind: 'AnalysisTemplate', spec: { metrics: [{ name: 'm', provider: { prometheus: { query: 'up', caCert: 'x' } } }] } })).toEqual(['spec.metrics[0].provider.prometheus.caCert']);
    expect(unknownKeys({ kind: 'PrometheusRule', spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', fore: '1m' }] }] } })).toEqual(['spec.groups[0].rules[0].fore']);
  });

  it('the schema check can fail: a wrong type is reported with its path', async () => {
    const problems = await checkSchemas([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'x' }, spec: { strategy: { canary: { steps: [{ setWeight: 'ten' }] } } } }]);
    expect(problems).toEqual([expect.objectContaining({ kind: 'Rollout', name: 'x', paths: ['/spec/strategy/canary/steps/0/setWeight'] })]);
  });

  it(`${statisticalExample}: refused at each statistical guardrail's kind, nothing exported`, async () => {
    const result = await exportPlan(readFileSync(join(root, 'examples', statisticalExample), 'utf8'), ['argo-rollouts']);
    expect(result.objects).toBeUndefined();
    const kindErrors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error' && diagnostic.code === 'export/guardrail-kind');
    expect(kindErrors.map((diagnostic) => diagnostic.message.split(':')[0])).toEqual([
      'Guardrail kind drift cannot be exported to Argo Rollouts',
      'Guardrail kind compare cannot be exported to Argo Rollouts',
      'Guardrail kind calibration cannot be exported to Argo Rollouts',
    ]);
  });

  for (const name of examples) {
    it(`${name}: every object validates and declares only known keys`, async () => {
      const text = readFileSync(join(root, 'examples', name), 'utf8');
      const plan = basePlan();
      // Exported as written when it can be; otherwise with the export block it lacks, so every example yields objects.
      let result = await exportPlan(text, ['argo-rollouts', 'prometheus-rule']);
      if (!result.objects) {
        const withBlock = `${text.replace(/\nexport:[\s\S]*$/, '\n')}\n${planText({ export: { argoRollouts: { ...plan.export.argoRollouts, activeService: 'churn-active', trafficRouting: { istio: { virtualService: { name: 'churn', routes: ['primary'] } } } } } })}`;
        result = await exportPlan(withBlock.replace(/kind: shadow, mirror: 100, bake: 30s, guardrails: \[error-rate\] \}\n/, 'kind: offline, bake: 30s, guardrails: [error-rate] }\n'), [
          'argo-rollouts',
          'prometheus-rule',
        ]);
      }
      expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
      const objects = result.objects!.map(({ object }) => object);
      expect(objects.length).toBeGreaterThanOrEqual(2);
      expect(await checkSchemas(objects)).toEqual([]);
      for (const object of objects) expect(unknownKeys(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    });
  }
});
