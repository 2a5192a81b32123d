// Red-team finding 4: the service lock is per workspace, so a second runner from another
// workspace (or machine) silently overwrote a rollout in progress. Now a rollout's first traffic
// change checks the endpoint: a service that is progressing (a split or a mirror) is not taken
// over; the new rollout pauses with nothing changed and says why.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { DeploymentTraffic, FileStateStore, Ledger, LedgerChangeLog, PrometheusMetrics, RolloutEngine, type RolloutEvent } from '../../../src/core/index';
import { validatePlan } from '../../../src/core/plan/validate';
import { eventually, useDevStack } from '../../support/devStack';
import { devPlan } from './devPlan';

const token = 'cross-workspace-token';
const getStack = useDevStack({ token });

async function engineIn(workspace: string) {
  const { stack, deployment, prometheus } = getStack();
  const { plan } = validatePlan(devPlan({ deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl!, tokenSecret: 'deploy-token', approval: 'manual' }));
  if (!plan) throw new Error('test plan invalid');
  const engine = await RolloutEngine.create({
    plan,
    planDigest: `sha256:${'1'.repeat(64)}`,
    traffic: new DeploymentTraffic(deployment, { candidate: plan.model.candidate, baseline: plan.model.baseline }),
    metrics: new PrometheusMetrics(prometheus),
    changeLog: new LedgerChangeLog(new Ledger({ path: path.join(workspace, 'ledger.jsonl') })),
    stateStore: new FileStateStore(path.join(workspace, 'state')),
    actor: `runner in ${path.basename(workspace)}`,
  });
  const events: RolloutEvent[] = [];
  engine.onEvent((event) => events.push(event));
  return { engine, events };
}

const weights = () =>
  Object.fromEntries(
    getStack()
      .stack.state()
      .versions.map((version) => [version.version, version.weight]),
  );

describe('a second runner from another workspace', () => {
  it('does not take over a service another rollout is driving', async () => {
    const first = await engineIn(mkdtempSync(path.join(tmpdir(), 'rollgate-ws-a-')));
    const driving = first.engine.run();
    // The first rollout sets its canary (50 %) and waits at the manual gate: the service is progressing.
    await eventually(async () => (first.engine.snapshot().status === 'waiting-approval' ? true : undefined), 30_000, 'the first rollout to wait for approval', 100);
    await driving;
    expect(weights()).toEqual({ '41': 50, '42': 50 });

    const second = await engineIn(mkdtempSync(path.join(tmpdir(), 'rollgate-ws-b-')));
    const final = await second.engine.run();
    expect(final.status).toBe('paused');
    expect(final.pauseReason).toContain('refused to start: the service is progressing (the deployment endpoint shows 41=50% 42=50%)');
    expect(final.pauseReason).toContain('Nothing was changed');
    // Nothing changed at the endpoint, and the second runner sent no traffic change.
    expect(weights()).toEqual({ '41': 50, '42': 50 });
    expect(second.events.some((event) => event.kind === 'traffic-set')).toBe(false);

    // The first rollout is still in charge: roll it back to leave the stack stable.
    await first.engine.rollbackNow('test cleanup');
    await eventually(async () => (weights()['41'] === 100 ? true : undefined), 10_000, 'the rollback', 100);
  });

  it('starts as before when the service is stable', async () => {
    expect(weights()['41']).toBe(100);
    const runner = await engineIn(mkdtempSync(path.join(tmpdir(), 'rollgate-ws-c-')));
    const running = runner.engine.run();
    await eventually(async () => (runner.engine.snapshot().status === 'waiting-approval' ? true : undefined), 30_000, 'the rollout to reach its gate', 100);
    await running;
    expect(weights()).toEqual({ '41': 50, '42': 50 });
    await runner.engine.rollbackNow('test cleanup');
  });
});
