// The runbook `flag` action and a rollback cell's flag restore as prepared (nothing is sent here:
// the requests themselves go to the real Unleash in test/unit/flags/rollout.unleash.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { planDeploymentActions, planFlagActions } from '../../../src/core/cells/ports';
import { prepareRolloutCell } from '../../../src/core/cells/rollout';
import { nodeHttpSender } from '../../../src/core/cells/index';
import type { Plan } from '../../../src/core/plan/schema';
import { validatePlan } from '../../../src/core/plan/validate';
import { repoRoot } from './support';

function plan(file: string): Plan {
  const validation = validatePlan(readFileSync(join(repoRoot, 'test', 'fixtures', 'plans', 'valid', file), 'utf8'));
  if (!validation.plan) throw new Error(`${file} does not validate`);
  return validation.plan;
}

const noSecret = async (name: string) => {
  throw new Error(`secret ${name} looked up while preparing`);
};

function prepare(text: string, which: Plan) {
  const flags = planFlagActions(which, noSecret);
  return prepareRolloutCell(text, {
    scope: {},
    attributes: {},
    plan: which,
    ports: { http: nodeHttpSender, deployment: planDeploymentActions(which, noSecret), ...(flags ? { flags } : {}) },
    now: () => 0,
  });
}

describe('rollout cell: flag action', () => {
  const withFlags = plan('flags.rollout.yaml');

  it('shows the flag change, its flag service and the Unleash resource, and asks first', () => {
    const result = prepare('flag new-ranking 30%', withFlags);
    expect(result.diagnostics).toEqual([]);
    expect(result.prepared!.mutating).toBe(true);
    expect(result.prepared!.request.action).toMatch(/^set feature flag new-ranking .*30%.* on Unleash http:\/\/127\.0\.0\.1:\d+ \(project default, environment production\)$/);
    expect(result.prepared!.request.url).toMatch(/\/api\/admin\/projects\/default\/features\/new-ranking\/environments\/production$/);
    expect(prepare('flag explain-scores off', withFlags).prepared!.request.action).toContain('set feature flag explain-scores off');
  });

  it('refuses a flag the plan does not list, suggesting the closest, and a plan without flags', () => {
    const unknown = prepare('flag new-rankng on', withFlags);
    expect(unknown.prepared).toBeUndefined();
    expect(unknown.diagnostics[0]).toMatchObject({ code: 'rollout/unknown-flag', start: 5, end: 15 });
    expect(unknown.diagnostics[0]!.message).toContain('did you mean "new-ranking"?');

    const none = prepare('flag new-ranking on', plan('minimal.rollout.yaml'));
    expect(none.prepared).toBeUndefined();
    expect(none.diagnostics[0]!.code).toBe('rollout/no-flags');
  });

  it('a rollback cell says it restores the flags after the traffic, each as its onRollback says', () => {
    const result = prepare('rollback reason "bad canary"', withFlags);
    expect(result.prepared!.request.action).toMatch(/^roll back churn-scorer to 41 \(baseline\) \(reason: bad canary\), then restore the feature flags new-ranking \(restore\), explain-scores \(off\) on Unleash /);
  });
});
