// The panel's live picture: shaped from what a real `rollgate dev` deployment endpoint reports,
// through the same backend the rollout uses (no hand-written imitation of the endpoint).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { liveBarSegments, liveTrafficText, shortDigest, toPanelLive } from '../../../src/core/panel/live';
import type { Plan } from '../../../src/core/plan/schema';
import { validatePlan } from '../../../src/core/plan/validate';
import { connectDeployment } from '../../../src/core/rollout/index';
import { startDevStack, type DevStack } from '../../../src/dev/index';

function samplePlan(deploymentUrl: string): Plan {
  const { plan } = validatePlan(readFileSync('examples/churn-canary.rollout.yaml', 'utf8'));
  if (!plan) throw new Error('the sample plan did not validate');
  return { ...plan, endpoints: { ...plan.endpoints, deployment: { type: 'rollgate', url: deploymentUrl } } };
}

describe('live service picture', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ port: 0, prometheus: 'off' });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows what rollgate dev serves: weights, mirror, stable, phase and digests that match the sample plan', async () => {
    const plan = samplePlan(stack.deploymentUrl);
    const { deployment } = await connectDeployment(plan, { get: async () => undefined });
    await deployment.traffic.setTraffic({ [plan.model.baseline.version]: 90, [plan.model.candidate.version]: 10 }, undefined, { idempotencyKey: `live-test-${Date.now()}` });
    const live = toPanelLive(await deployment.readService!(), plan, { readAt: new Date('2026-12-02T12:00:00Z'), target: deployment.target });
    expect(live.trafficText).toBe(`${plan.model.baseline.version} 90%, ${plan.model.candidate.version} 10%`);
    expect(live.versions.map((version) => [version.version, version.role, version.weight])).toEqual([
      [plan.model.baseline.version, 'baseline', 90],
      [plan.model.candidate.version, 'candidate', 10],
    ]);
    // The samples' digests are what rollgate dev serves: both match.
    expect(live.versions.map((version) => version.digestMatches)).toEqual([true, true]);
    expect(live.warning).toBeUndefined();
    expect(live.stable).toBe(plan.model.baseline.version);
    expect(live.phase).toBeTruthy();
    expect(live.target).toContain('/v1/services/');
  });

  it('names a digest the endpoint serves that the plan does not declare', async () => {
    const plan = samplePlan(stack.deploymentUrl);
    const other = { ...plan, model: { ...plan.model, candidate: { ...plan.model.candidate, digest: `sha256:${'ab'.repeat(32)}` } } };
    const { deployment } = await connectDeployment(plan, { get: async () => undefined });
    const live = toPanelLive(await deployment.readService!(), other, { readAt: new Date(), target: deployment.target });
    const candidate = live.versions.find((version) => version.role === 'candidate')!;
    expect(candidate.digestMatches).toBe(false);
    expect(live.warning).toContain(`${plan.model.candidate.version} serves ${shortDigest(candidate.digest)}, the plan declares abababababab`);
  });
});

describe('live traffic text and bar', () => {
  it('lists versions with traffic, then mirrors, and scales an over-full bar', () => {
    const versions = [
      { version: '41', weight: 90, mirror: 0 },
      { version: '42', weight: 10, mirror: 0 },
      { version: '43', weight: 0, mirror: 100 },
      { version: '40', weight: 0, mirror: 0 },
    ];
    expect(liveTrafficText(versions)).toBe('41 90%, 42 10% · mirror 43 100%');
    expect(liveBarSegments(versions)).toEqual([
      { version: '41', width: 90 },
      { version: '42', width: 10 },
    ]);
    expect(
      liveBarSegments([
        { version: 'a', weight: 150 },
        { version: 'b', weight: 50 },
      ]),
    ).toEqual([
      { version: 'a', width: 75 },
      { version: 'b', width: 25 },
    ]);
    expect(liveTrafficText([{ version: '41', weight: 0, mirror: 0 }])).toBe('no traffic');
    expect(shortDigest('sha256:4f2a9c1e8b7d6054a3f2')).toBe('4f2a9c1e8b7d');
  });
});
