// Property: any valid plan either exports to objects that pass Argo's (and prometheus-operator's)
// schema and declare only known keys, or gets at least one error diagnostic inside the plan's
// text. Never a throw, never a partly written rollout.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSchemas, exportPlan } from '../../../src/core/export/index';
import { validatePlan } from '../../../src/core/plan/validate';
import { unknownKeys } from '../../support/knownKeys';
import { basePlan, planText } from './planText';

const runs = Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 60);
const duration = fc.constantFrom('5s', '30s', '1m', '90s', '2m15s', '10m', '1h', '1h30m', '750ms');

const guardrail = (index: number) =>
  fc
    .record({
      scalar: fc.boolean(),
      bounds: fc.constantFrom('max', 'min', 'both', 'ratio', 'ratio+max'),
      interval: duration,
      failureLimit: fc.integer({ min: 1, max: 4 }),
      onNoData: fc.constantFrom('fail', 'pass', 'inconclusive'),
      dryRun: fc.boolean(),
      placeholder: fc.constantFrom('{{version}}', '{{candidate.version}}', '{{metadata.service}}', '{{model.name}}'),
    })
    .map((g) => ({
      name: `g${index}`,
      query: g.scalar ? `scalar(sum(rate(x{v="${g.placeholder}"}[1m])))` : `sum(rate(x{v="${g.placeholder}"}[1m]))`,
      ...(g.bounds === 'max' || g.bounds === 'both' || g.bounds === 'ratio+max' ? { max: 0.5 } : {}),
      ...(g.bounds === 'min' || g.bounds === 'both' ? { min: 0.1 } : {}),
      ...(g.bounds.startsWith('ratio') ? { relativeTo: 'baseline', maxRatio: 1.2 } : {}),
      interval: g.interval,
      failureLimit: g.failureLimit,
      onNoData: g.onNoData,
      dryRun: g.dryRun,
    }));

const stage = fc.record({
  kind: fc.constantFrom('offline', 'shadow', 'canary', 'canary', 'blue-green', 'full'),
  traffic: fc.integer({ min: 0, max: 100 }),
  mirror: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  bake: fc.option(duration, { nil: undefined }),
  approval: fc.constantFrom('auto', 'manual'),
  guardrails: fc.subarray(['g0', 'g1', 'g2']),
});

const planArbitrary = fc
  .record({
    guardrails: fc.tuple(guardrail(0), guardrail(1), guardrail(2)),
    stages: fc.array(stage, { minLength: 1, maxLength: 5 }),
    final: fc.boolean(),
    automatic: fc.boolean(),
    router: fc.constantFrom('none', 'istio', 'smi'),
    services: fc.boolean(),
    versionValue: fc.constantFrom('label', 'podTemplateHash'),
    token: fc.boolean(),
    flags: fc.boolean(),
  })
  .map((choice) => {
    const plan = basePlan();
    plan.guardrails = choice.guardrails;
    let traffic = 0;
    plan.stages = choice.stages.map((raw, index) => {
      // Keep traffic rising so most generated plans are valid.
      traffic = raw.kind === 'canary' ? Math.max(traffic, raw.traffic) : traffic;
      return {
        name: `s${index}`,
        kind: raw.kind,
        ...(raw.kind === 'canary' ? { traffic } : {}),
        ...(raw.mirror !== undefined && (raw.kind === 'shadow' || raw.kind === 'canary') ? { mirror: raw.mirror } : {}),
        ...(raw.bake ? { bake: raw.bake } : {}),
        approval: raw.approval,
        ...(raw.guardrails.length > 0 ? { guardrails: raw.guardrails } : {}),
      };
    });
    if (choice.final) plan.stages[plan.stages.length - 1].final = true;
    plan.rollback.automatic = choice.automatic;
    plan.export.argoRollouts = {
      replicas: 3,
      versionValue: choice.versionValue,
      ...(choice.services ? { canaryService: 'c', stableService: 's', activeService: 'a', previewService: 'p' } : {}),
      ...(choice.router === 'istio' ? { trafficRouting: { istio: { virtualService: { name: 'vs', routes: ['primary'] } } } } : {}),
      ...(choice.router === 'smi' ? { trafficRouting: { smi: {} } } : {}),
    };
    if (choice.token) plan.endpoints.metrics.token = { secret: 'prom-token' };
    if (choice.flags) {
      plan.flags = [{ name: 'f', default: 'on' }];
      plan.endpoints.flags = { type: 'unleash', url: 'http://unleash.example.com:4242', token: { secret: 'unleash-token' }, environment: 'production' };
    }
    return planText(plan);
  });

describe('export property', () => {
  it('a valid plan exports to objects that pass the schemas, or gets an error diagnostic; never a throw', async () => {
    let exported = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (text) => {
        fc.pre(validatePlan(text).plan !== undefined && !validatePlan(text).diagnostics.some((d) => d.severity === 'error'));
        const result = await exportPlan(text, ['argo-rollouts', 'prometheus-rule']);
        for (const diagnostic of result.diagnostics) {
          expect(diagnostic.start).toBeGreaterThanOrEqual(0);
          expect(diagnostic.end).toBeLessThanOrEqual(text.length);
          expect(diagnostic.end).toBeGreaterThan(diagnostic.start);
        }
        if (result.objects) {
          exported++;
          const objects = result.objects.map(({ object }) => object);
          expect(await checkSchemas(objects)).toEqual([]);
          for (const object of objects) expect(unknownKeys(object)).toEqual([]);
        } else {
          refused++;
          expect(result.diagnostics.some((diagnostic) => diagnostic.severity === 'error')).toBe(true);
        }
      }),
      { numRuns: runs },
    );
    // Both outcomes must actually occur, or the property says little.
    expect(exported).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 240_000);
});
