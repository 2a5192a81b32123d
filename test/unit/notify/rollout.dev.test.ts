// Notifications and confirm-promotion gates in real rollouts: `openRollout` (the one place the CLI
// and the editor start a rollout) against `rollgate dev` and a real Prometheus, with receivers on
// 127.0.0.1. A dead receiver during a drill, a gate that holds and then releases, a gate that never
// does, and a breach while a gate holds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { drillBoundMs, Ledger, openRollout, validatePlan, type DeliveryRecord, type LedgerEntry, type OpenedRollout } from '../../../src/core/index';
import { eventually, useDevStack } from '../../support/devStack';
import { devPlan } from '../rollout/devPlan';
import { startReceiver, type Receiver } from './receiver';

const TOKEN = 'notify-dev-token-8d1f';
const getStack = useDevStack({ token: TOKEN });
const receivers: Receiver[] = [];
const opened: OpenedRollout[] = [];

afterEach(async () => {
  for (const rollout of opened.splice(0)) {
    rollout.notifications.close();
    await rollout.close();
  }
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  const { stack, deployment } = getStack();
  stack.clearFaults();
  await deployment.rollback('41', 'test reset');
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

/** An earlier fault stays in the 5 s rate window for a few seconds; wait until it has left. */
async function quiet(): Promise<void> {
  const { prometheus } = getStack();
  await eventually(
    async () => {
      const { result } = await prometheus.query('sum(increase(rollgate_dev_requests_total{code=~"5.."}[6s]))');
      return result.resultType === 'vector' && (result.samples.length === 0 || result.samples[0]!.value < 3) ? true : undefined;
    },
    20_000,
    'earlier faults to leave the rate window',
    200,
  );
}

async function open(notify: string[], planOptions: Partial<Parameters<typeof devPlan>[0]> = {}, drill = false) {
  await quiet();
  const { stack } = getStack();
  const text = devPlan({ deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl!, tokenSecret: 'deploy-token', ...planOptions }) + ['notify:', ...notify, ''].join('\n');
  const { plan, diagnostics } = validatePlan(text);
  if (!plan) throw new Error(`test plan invalid: ${JSON.stringify(diagnostics)}`);
  const root = mkdtempSync(path.join(tmpdir(), 'rollgate-notify-rollout-'));
  const deliveries: DeliveryRecord[] = [];
  const rollout = await openRollout({
    plan,
    planDigest: `sha256:${'e'.repeat(64)}`,
    secrets: { get: async (name) => (name === 'deploy-token' ? TOKEN : undefined) },
    workspaceRoot: root,
    ledgerPath: path.join(root, 'ledger.jsonl'),
    actor: 'test',
    restart: true,
    ...(drill ? { drill: {} } : {}),
    onNotification: (record) => deliveries.push(record),
  });
  opened.push(rollout);
  return { rollout, plan, deliveries, ledger: new Ledger({ path: path.join(root, 'ledger.jsonl') }) };
}

const actionsOf = (entries: LedgerEntry[]) => entries.map((entry) => entry.action).filter((action) => action !== 'guardrail-measurement');

describe('notifications during real rollouts', () => {
  it("a dead receiver (it accepts and never answers) does not hold up the drill's rollback", async () => {
    const dead = await receiver('hang');
    const { rollout, plan, ledger } = await open([`  - { name: pager, url: "${dead.url}/hook", events: [breach, rollback, end], timeout: 30s, retries: 3 }`], { canaryBake: '30s' }, true);
    const result = await rollout.drill!.run();
    expect(result.injected, result.error ?? result.snapshot.rollback?.reason).toBe(true);
    expect(result.snapshot.status).toBe('rolled-back');
    // The rollback and the end of the rollout were recorded while the breach notification was
    // still unresolved (its receiver silent, its timeout 30 s): nothing waited for it.
    const entries = await ledger.list();
    expect(actionsOf(entries)).toEqual(['rollout-start', 'traffic-change', 'guardrail-breach', 'rollback', 'rollout-end']);
    expect(entries.some((entry) => entry.action === 'notification')).toBe(false);
    await eventually(async () => (dead.received.length > 0 ? true : undefined), 10_000, 'the breach notification to reach the dead receiver', 20);
    // One request hangs; the rollback and end notifications wait behind it in the target's queue.
    expect(dead.received.map((request) => JSON.parse(request.body).event)).toEqual(['breach']);
    const bound = drillBoundMs(plan, rollout.drill!.stage, 1000);
    process.stdout.write(`dead receiver drill: fault -> endpoint at baseline ${Math.round(result.faultToRollbackMs!)} ms (bound ${bound} ms)\n`);
    expect(result.faultToRollbackMs!).toBeLessThan(30_000);
  });

  it('delivers start, breach, rollback and end in order to a live receiver, recorded after each entry', async () => {
    const hook = await receiver();
    const { rollout, ledger, deliveries } = await open([`  - { name: hook, url: "${hook.url}/hook" }`], { canaryBake: '30s' }, true);
    await rollout.drill!.run();
    expect(await rollout.notifications.drain(20_000)).toBe(true);
    expect(hook.received.map((request) => JSON.parse(request.body).event)).toEqual(['start', 'breach', 'rollback', 'end']);
    expect(deliveries.map((record) => record.outcome)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    const entries = await ledger.list();
    // Each notification entry comes after the entry it is about.
    for (const record of entries.filter((entry) => entry.action === 'notification')) {
      expect(record.details!.entrySeq as number).toBeLessThan(record.seq);
      expect(entries.find((entry) => entry.seq === record.details!.entrySeq)!.hash).toBe(record.details!.entryHash);
    }
    expect(JSON.stringify(entries)).not.toContain(TOKEN);
  });
});

describe('confirm-promotion gates during real rollouts', () => {
  it('holds the promotion while the gate answers 409, promotes once it answers 200', async () => {
    const gate = await receiver();
    gate.replies.push({ status: 409, body: 'change freeze' }, { status: 409, body: 'change freeze' });
    const { rollout, ledger } = await open([`  - { name: release, type: confirm-promotion, url: "${gate.url}/gate", stages: [canary-50], interval: 600ms, maxWait: 1m }`], { canaryBake: '2s' });
    const final = await rollout.engine.run();
    expect(final.status, final.pauseReason).toBe('promoted');
    expect(gate.received).toHaveLength(3);
    expect(JSON.parse(gate.received[0]!.body)).toMatchObject({ schema: 'rollgate.promotion-gate/v1', stage: 'canary-50', nextStage: 'full', versions: { candidate: '42', baseline: '41' } });
    const entries = await ledger.list();
    const actions = actionsOf(entries);
    expect(actions).toEqual(['rollout-start', 'traffic-change', 'promotion-gate', 'promotion-gate', 'promote', 'traffic-change', 'promote', 'rollout-end']);
    const gates = entries.filter((entry) => entry.action === 'promotion-gate');
    expect(gates[0]!.reason).toBe('gate release holds the promotion of canary-50: HTTP 409: change freeze');
    expect(gates[1]!.reason).toMatch(/^promotion of canary-50 confirmed by release \(3 asks/);
    // The full stage's traffic was set only after the gate's 200 (the third ask).
    const fullTraffic = entries.filter((entry) => entry.action === 'traffic-change')[1]!;
    expect(Date.parse(fullTraffic.time)).toBeGreaterThanOrEqual(gate.received[2]!.at - 5);
    // The canary stayed watched while the gate held: a measurement round was recorded after the hold.
    const held = Date.parse(gates[0]!.time);
    expect(entries.some((entry) => entry.action === 'guardrail-measurement' && entry.details?.stage === 'canary-50' && Date.parse(entry.time) > held)).toBe(true);
  });

  it('pauses when the gate does not confirm within maxWait, saying why', async () => {
    const gate = await receiver({ status: 503, body: 'approval pending' });
    const { rollout } = await open([`  - { name: release, type: confirm-promotion, url: "${gate.url}/gate", interval: 200ms, maxWait: 1s }`], { canaryBake: '1s' });
    const final = await rollout.engine.run();
    expect(final.status).toBe('paused');
    expect(final.pauseReason).toMatch(/^promotion gate release did not confirm the promotion of canary-50 within 1s \(last answer: HTTP 503: approval pending\)/);
    expect(final.stages[0]!.status).toBe('paused');
    expect((await getStack().deployment.getService()).versions.find((version) => version.version === '42')?.weight).toBe(50);
  });

  it('a breach while the gate holds rolls back at once', async () => {
    const gate = await receiver({ status: 409, body: 'hold' });
    const { stack } = getStack();
    const { rollout, ledger } = await open([`  - { name: release, type: confirm-promotion, url: "${gate.url}/gate", interval: 200ms, maxWait: 5m }`], { canaryBake: '1s' });
    rollout.engine.onEvent((event) => {
      if (event.kind === 'gate-held') stack.injectFault({ version: '42', errorRate: 1 });
    });
    const final = await rollout.engine.run();
    expect(final.status).toBe('rolled-back');
    const actions = actionsOf(await ledger.list());
    expect(actions.slice(0, 3)).toEqual(['rollout-start', 'traffic-change', 'promotion-gate']);
    expect(actions.slice(-3)).toEqual(['guardrail-breach', 'rollback', 'rollout-end']);
    const asked = gate.received.length;
    // Nothing should happen now, so there is no event to wait for: give the gate three of its
    // 200 ms intervals to be asked again, which it must not be once the rollout rolled back.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(gate.received.length).toBe(asked);
  });
});
