import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  drillBoundMs,
  DryRunTraffic,
  FileStateStore,
  MemoryStateStore,
  RecordedMetrics,
  RolloutConflictError,
  RolloutEngine,
  VirtualClock,
  type ChangeEntry,
  type MetricRecording,
  type RolloutEvent,
} from '../../../src/core/index';
import { planSchema, type Plan } from '../../../src/core/plan/schema';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function makePlan(overrides: { stages?: unknown[]; guardrails?: unknown[]; rollback?: unknown } = {}): Plan {
  return planSchema.parse({
    apiVersion: 'rollgate/v1',
    kind: 'RolloutPlan',
    metadata: { name: 'churn-v42', service: 'churn-scorer', environment: 'staging' },
    model: {
      name: 'churn',
      candidate: { version: '42', artifact: 's3://m/42', digest: digest('a') },
      baseline: { version: '41', artifact: 's3://m/41', digest: digest('b') },
    },
    endpoints: { deployment: { url: 'http://127.0.0.1:8700' }, metrics: { url: 'http://127.0.0.1:9090' } },
    guardrails: overrides.guardrails ?? [{ name: 'error-rate', query: 'errors{version="{{version}}"}', max: 0.02, interval: '10s', failureLimit: 2 }],
    stages: overrides.stages ?? [
      { name: 'shadow', kind: 'shadow', mirror: 100, bake: '30s', guardrails: ['error-rate'] },
      { name: 'canary-5', kind: 'canary', traffic: 5, bake: '1m', guardrails: ['error-rate'] },
      { name: 'full', kind: 'full', traffic: 100 },
    ],
    ...(overrides.rollback ? { rollback: overrides.rollback } : {}),
  });
}

async function setup(plan: Plan, recording: MetricRecording, extra: Partial<Parameters<typeof RolloutEngine.create>[0]> = {}) {
  const traffic = new DryRunTraffic('41');
  const entries: ChangeEntry[] = [];
  const events: RolloutEvent[] = [];
  const engine = await RolloutEngine.create({
    plan,
    planDigest: digest('c'),
    traffic,
    metrics: new RecordedMetrics(recording),
    changeLog: { append: async (entry) => void entries.push(entry) },
    clock: new VirtualClock(),
    progressIntervalMs: Infinity,
    ...extra,
  });
  engine.onEvent((event) => events.push(event));
  return { engine, traffic, entries, events };
}

describe('RolloutEngine state machine (virtual clock, dry-run traffic, recorded metrics)', () => {
  it('walks every stage and promotes when guardrails pass', async () => {
    const { engine, traffic, entries, events } = await setup(makePlan(), { 'error-rate': { '42': [0.001] } });
    const final = await engine.run();
    expect(final.status).toBe('promoted');
    expect(final.stages.map((stage) => stage.status)).toEqual(['passed', 'passed', 'passed']);
    expect(traffic.calls.map((call) => call.weights)).toEqual([
      { '41': 100, '42': 0 },
      { '41': 95, '42': 5 },
      { '41': 0, '42': 100 },
    ]);
    expect(traffic.calls[0]!.mirror).toEqual({ version: '42', percent: 100 });
    // 30 s bake at 10 s intervals: three measurements; 1 m: six.
    expect(final.stages[0]!.guardrails[0]!.measurements).toBe(3);
    expect(final.stages[1]!.guardrails[0]!.measurements).toBe(6);
    expect(entries.filter((entry) => entry.action !== 'guardrail-measurement').map((entry) => entry.action)).toEqual([
      'rollout-start',
      'traffic-change',
      'promote',
      'traffic-change',
      'promote',
      'traffic-change',
      'promote',
      'rollout-end',
    ]);
    // Every measurement round is recorded too (reports chart them), in its stage, with its evidence.
    const rounds = entries.filter((entry) => entry.action === 'guardrail-measurement');
    // A dry run computes the part of a bake whose readings can only repeat instead of stepping
    // through it (bounded dry runs), so the recorded rounds are the stepped ones, stage by stage.
    const stages = rounds.map((entry) => entry.stage);
    expect(stages[0]).toBe('shadow');
    expect(stages.lastIndexOf('shadow')).toBeLessThan(stages.indexOf('canary-5'));
    expect(new Set(stages)).toEqual(new Set(['shadow', 'canary-5']));
    expect(rounds[0]!.evidence![0]).toMatchObject({ guardrail: 'error-rate', value: 0.001, bound: { max: 0.02 }, outcome: 'pass' });
    expect(entries.every((entry) => entry.planDigest === digest('c') && entry.lineage.candidate.digest === digest('a'))).toBe(true);
    expect(events.at(-1)!.kind).toBe('promoted');
  });

  it('rolls back to the declared baseline after failureLimit consecutive failures', async () => {
    const { engine, traffic, entries } = await setup(makePlan(), { 'error-rate': { '42': [0.001, 0.001, 0.001, 0.001, 0.05, 0.001, 0.05, 0.05] } });
    const final = await engine.run();
    expect(final.status).toBe('rolled-back');
    expect(final.stages.map((stage) => stage.status)).toEqual(['passed', 'rolled-back', 'pending']);
    // Failure, pass (resets), failure, failure: the breach is on the 4th canary measurement.
    expect(final.stages[1]!.guardrails[0]!.measurements).toBe(5);
    expect(traffic.calls.at(-1)).toMatchObject({ kind: 'rollback', to: '41' });
    expect(traffic.calls.filter((call) => call.kind === 'rollback')).toHaveLength(1);
    const breach = entries.find((entry) => entry.action === 'guardrail-breach')!;
    expect(breach.evidence![0]).toMatchObject({ guardrail: 'error-rate', value: 0.05, bound: { max: 0.02 }, query: 'errors{version="42"}' });
    const rollback = entries.find((entry) => entry.action === 'rollback')!;
    expect(rollback).toMatchObject({ outcome: 'ok', to: { weights: { '41': 100 } }, from: { weights: { '41': 95, '42': 5 } } });
    expect(final.rollback).toMatchObject({ to: '41', attempts: 1 });
    expect(final.traffic).toEqual({ weights: { '41': 100 } });
  });

  it('pauses instead of rolling back when rollback is not automatic', async () => {
    const { engine, traffic } = await setup(makePlan({ rollback: { to: 'baseline', automatic: false } }), { 'error-rate': { '42': [0.5] } });
    const final = await engine.run();
    expect(final.status).toBe('paused');
    expect(final.pauseReason).toContain('rollback.automatic is false');
    expect(traffic.calls.some((call) => call.kind === 'rollback')).toBe(false);
  });

  it('pauses on inconclusive data, and resumes when a person says so', async () => {
    const { engine, entries } = await setup(makePlan(), { 'error-rate': { '42': [0.001, null, 0.001] } });
    const paused = await engine.run();
    expect(paused.status).toBe('paused');
    expect(paused.stages[0]!.status).toBe('paused');
    expect(paused.pauseReason).toContain('no data');
    expect(await engine.resume('alice')).toBe(true);
    const final = await engine.run();
    expect(final.status).toBe('promoted');
    expect(entries.filter((entry) => entry.action === 'pause' || entry.action === 'resume').map((entry) => entry.action)).toEqual(['pause', 'resume']);
  });

  it('does not let dryRun guardrails decide, but records them', async () => {
    const plan = makePlan({
      guardrails: [{ name: 'new-check', query: 'x{version="{{version}}"}', max: 0, interval: '10s', dryRun: true }],
      stages: [
        { name: 'canary', kind: 'canary', traffic: 10, bake: '20s', guardrails: ['new-check'] },
        { name: 'full', kind: 'full', traffic: 100 },
      ],
    });
    const { engine, events } = await setup(plan, { 'new-check': { '42': [5] } });
    expect((await engine.run()).status).toBe('promoted');
    expect(events.filter((event) => event.kind === 'measured').map((event) => event.measurement!.outcome)).toEqual(['fail', 'fail']);
  });

  it('waits at a manual gate until approved (or stops there for the CLI)', async () => {
    const plan = makePlan({
      stages: [
        { name: 'canary', kind: 'canary', traffic: 10, bake: '10s', guardrails: ['error-rate'], approval: 'manual' },
        { name: 'full', kind: 'full', traffic: 100 },
      ],
    });
    const { engine, entries } = await setup(plan, { 'error-rate': { '42': [0] } });
    const stopped = await engine.run();
    expect(stopped.status).toBe('waiting-approval');
    expect(stopped.stages[0]!.status).toBe('waiting-approval');
    expect(await engine.approve('bob')).toBe(true);
    expect((await engine.run()).status).toBe('promoted');
    expect(entries.find((entry) => entry.action === 'approve')!.actor).toBe('bob');

    const waiting = await setup(plan, { 'error-rate': { '42': [0] } }, { waitForPeople: true });
    waiting.engine.onEvent((event) => {
      if (event.kind === 'waiting-approval') void waiting.engine.approve('carol');
    });
    expect((await waiting.engine.run()).status).toBe('promoted');

    const yes = await setup(plan, { 'error-rate': { '42': [0] } }, { autoApprove: true });
    expect((await yes.engine.run()).status).toBe('promoted');
  });

  it("a drill's bound allows failureLimit measurements of the stage's slowest guardrail, a scrape and the rollback call", () => {
    const plan = makePlan({
      guardrails: [
        { name: 'error-rate', query: 'e{version="{{version}}"}', max: 0.02, interval: '10s', failureLimit: 2 },
        { name: 'latency', query: 'l{version="{{version}}"}', max: 1, interval: '15s' },
      ],
      stages: [
        { name: 'canary', kind: 'canary', traffic: 10, bake: '1m', guardrails: ['error-rate', 'latency'] },
        { name: 'full', kind: 'full', traffic: 100, guardrails: ['latency'] },
      ],
    });
    expect(drillBoundMs(plan, 'canary', 1000)).toBe(2 * 10_000 + 1000 + 500);
    expect(drillBoundMs(plan, 'full', 1000)).toBe(15_000 + 1000 + 500);
  });

  it('an approval that lands while the gate is still being saved promotes once, not back into the gate', async () => {
    // The panel sees "waiting-approval" as soon as it is set, before the state file is written.
    // An approve pressed in that window used to let the run re-enter the passed stage's gate and wait forever.
    const plan = makePlan({
      stages: [
        { name: 'canary', kind: 'canary', traffic: 50, bake: '3s', approval: 'manual' },
        { name: 'full', kind: 'full', traffic: 100 },
      ],
    });
    const slowly = () => new Promise((resolve) => setTimeout(resolve, 5));
    let approval: Promise<boolean> | undefined;
    let engine: RolloutEngine | undefined;
    const store = new MemoryStateStore();
    const racingStore = {
      load: (service: string) => store.load(service),
      save: async (snapshot: Parameters<MemoryStateStore['save']>[0]) => {
        if (snapshot.status === 'waiting-approval' && !approval && engine) approval = engine.approve('erin');
        await slowly();
        await store.save(snapshot);
      },
    };
    const entries: ChangeEntry[] = [];
    // A ledger append (fsync) is slower than a state save: the approval is still recording when the run moves on.
    const changeLog = { append: async (entry: ChangeEntry) => void (await new Promise((resolve) => setTimeout(resolve, 30)), entries.push(entry)) };
    engine = await RolloutEngine.create({
      plan,
      planDigest: digest('c'),
      traffic: new DryRunTraffic('41'),
      metrics: new RecordedMetrics({}),
      changeLog,
      clock: new VirtualClock(),
      progressIntervalMs: Infinity,
      stateStore: racingStore,
      waitForPeople: true,
    });
    const stuck = new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 3000).unref());
    const outcome = await Promise.race([engine.run().then((final) => final.status), stuck]);
    expect(
      outcome,
      `status ${engine.snapshot().status}, stages ${engine
        .snapshot()
        .stages.map((stage) => stage.status)
        .join(', ')}`,
    ).toBe('promoted');
    expect(await approval).toBe(true);
    expect(entries.filter((entry) => entry.action !== 'guardrail-measurement').map((entry) => entry.action)).toEqual(['rollout-start', 'traffic-change', 'approve', 'promote', 'traffic-change', 'promote', 'rollout-end']);
  });

  it('pauses instead of undoing a rollback made outside the rollout, and goes on when resumed', async () => {
    const { engine, traffic, entries } = await setup(makePlan(), { 'error-rate': { '42': [0.001] } });
    let rolledBackOutside = false;
    engine.onEvent((event) => {
      // Someone rolls back with another tool while the shadow stage bakes.
      if (event.kind === 'measured' && event.stage === 'shadow' && !rolledBackOutside) {
        rolledBackOutside = true;
        void traffic.rollback('41', 'incident: rolled back from a runbook', { idempotencyKey: 'outside' });
      }
    });
    const paused = await engine.run();
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toContain('traffic was changed outside this rollout');
    expect(paused.pauseReason).toContain('41=100%');
    // The canary's traffic was never sent: the outside rollback stands.
    expect(traffic.calls.map((call) => call.kind)).toEqual(['set-traffic', 'rollback']);
    expect(await traffic.getState()).toEqual({ weights: { '41': 100 } });
    expect(paused.stages.map((stage) => stage.status)).toEqual(['passed', 'paused', 'pending']);

    expect(await engine.resume('erin')).toBe(true);
    const final = await engine.run();
    expect(final.status).toBe('promoted');
    expect(traffic.calls.filter((call) => call.kind === 'set-traffic').map((call) => call.weights)).toEqual([
      { '41': 100, '42': 0 },
      { '41': 95, '42': 5 },
      { '41': 0, '42': 100 },
    ]);
    expect(entries.map((entry) => entry.action)).toContain('pause');
  });

  it('pause() during a bake stops it; rollbackNow() from a pause rolls back once', async () => {
    const { engine, traffic, events } = await setup(makePlan(), { 'error-rate': { '42': [0] } });
    engine.onEvent((event) => {
      if (event.kind === 'measured' && event.stage === 'canary-5') void engine.pause('looks odd', 'dave');
    });
    const paused = await engine.run();
    expect(paused.status).toBe('paused');
    expect(paused.stages[1]!.bakeElapsedMs).toBe(10_000);
    const [first, second] = await Promise.all([engine.rollbackNow('dave pressed roll back', 'dave'), engine.rollbackNow('again', 'dave')]);
    expect(first).toEqual(second);
    expect(first.ok).toBe(true);
    expect(traffic.calls.filter((call) => call.kind === 'rollback')).toHaveLength(1);
    expect(engine.snapshot().status).toBe('rolled-back');
    expect(events.some((event) => event.kind === 'rolled-back')).toBe(true);
  });

  it('rollbackNow() during a bake ends run() with the rollback outcome', async () => {
    const { engine, traffic } = await setup(makePlan(), { 'error-rate': { '42': [0] } }, { waitForPeople: true });
    let pressed: Promise<unknown> | undefined;
    engine.onEvent((event) => {
      if (!pressed && event.kind === 'measured' && event.stage === 'canary-5') pressed = engine.rollbackNow('pressed in the panel', 'erin');
    });
    const final = await engine.run();
    expect(final.status).toBe('rolled-back');
    expect(final.rollback).toMatchObject({ actor: 'erin', completedAt: expect.any(String) });
    expect(final.stages[1]!.status).toBe('rolled-back');
    expect(traffic.calls.at(-1)).toMatchObject({ kind: 'rollback', to: '41' });
    expect(traffic.calls.filter((call) => call.kind === 'set-traffic')).toHaveLength(2);
  });

  it('retries a rollback on transient failure and reports loudly when it cannot complete', async () => {
    const flaky = new DryRunTraffic('41');
    let failures = 2;
    const original = flaky.rollback.bind(flaky);
    flaky.rollback = async (...args) => {
      if (failures-- > 0) throw Object.assign(new Error('503 from endpoint'), { transient: true });
      return original(...args);
    };
    const { engine } = await setup(makePlan(), { 'error-rate': { '42': [1] } }, { traffic: flaky });
    const final = await engine.run();
    expect(final.status).toBe('rolled-back');
    expect(final.rollback!.attempts).toBe(3);

    const broken = new DryRunTraffic('41');
    broken.rollback = async () => {
      throw Object.assign(new Error('401 unauthorized'), { transient: false });
    };
    const failing = await setup(makePlan(), { 'error-rate': { '42': [1] } }, { traffic: broken });
    const failed = await failing.engine.run();
    expect(failed.status).toBe('failed');
    expect(failed.rollback).toMatchObject({ attempts: 1, error: '401 unauthorized' });
    const loud = failing.events.find((event) => event.kind === 'rollback-failed')!;
    expect(loud.message).toMatch(/ROLLBACK FAILED.*roll back by hand/);
    expect(failing.entries.find((entry) => entry.action === 'rollback')!.outcome).toBe('failed');
  });

  it('persists after every transition and resumes from the stored state after a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-state-'));
    const store = new FileStateStore(dir);
    const plan = makePlan();
    const first = await setup(plan, { 'error-rate': { '42': [0] } }, { stateStore: store });
    first.engine.onEvent((event) => {
      // Simulate the editor closing mid-bake: the second canary measurement is the last thing the first runner does.
      if (event.kind === 'measured' && event.stage === 'canary-5' && event.snapshot.stages[1]!.guardrails[0]!.measurements === 2) void first.engine.pause('editor closed');
    });
    await first.engine.run();
    const stored = JSON.parse(readFileSync(path.join(dir, 'churn-scorer.json'), 'utf8'));
    expect(stored).toMatchObject({ status: 'paused', stageIndex: 1, stages: [{ status: 'passed' }, { status: 'paused', bakeElapsedMs: 20_000 }, {}] });

    // The restarted runner talks to the same endpoint, which still holds the canary's traffic.
    const endpoint = first.traffic;
    const callsBefore = endpoint.calls.length;
    const second = await setup(plan, { 'error-rate': { '42': [0] } }, { stateStore: store, traffic: endpoint });
    expect(second.engine.resumedFromStore).toBe(true);
    expect(second.engine.snapshot().runId).toBe(stored.runId);
    await second.engine.resume();
    const final = await second.engine.run();
    expect(final.status).toBe('promoted');
    // The canary bake continued from 20 s: four more measurements, not six.
    expect(final.stages[1]!.guardrails[0]!.measurements).toBe(6);
    // The canary traffic was already applied; the resumed runner only sends the full stage.
    expect(endpoint.calls.slice(callsBefore).map((call) => call.weights)).toEqual([{ '41': 0, '42': 100 }]);

    // Another plan for the same service must not take over the unfinished one...
    writeFileSync(path.join(dir, 'churn-scorer.json'), JSON.stringify({ ...stored, status: 'running' }));
    await expect(RolloutEngine.create({ plan, planDigest: digest('d'), traffic: new DryRunTraffic('41'), metrics: new RecordedMetrics({}), stateStore: store })).rejects.toBeInstanceOf(RolloutConflictError);
    // ...unless told to start again.
    const fresh = await RolloutEngine.create({ plan, planDigest: digest('d'), traffic: new DryRunTraffic('41'), metrics: new RecordedMetrics({}), stateStore: store, restart: true });
    expect(fresh.snapshot().status).toBe('pending');
  });

  it('resumes an interrupted rollback with the same idempotency key', async () => {
    const store = new MemoryStateStore();
    const plan = makePlan();
    const first = await setup(plan, { 'error-rate': { '42': [1] } }, { stateStore: store });
    first.traffic.rollback = () => new Promise(() => undefined); // the process "dies" while the call hangs
    void first.engine.run();
    await new Promise<void>((resolve) => first.engine.onEvent((event) => event.kind === 'rollback-started' && resolve()));
    const stored = (await store.load('churn-scorer'))!;
    expect(stored.status).toBe('rolling-back');

    const second = await setup(plan, {}, { stateStore: store });
    const final = await second.engine.run();
    expect(final.status).toBe('rolled-back');
    expect(second.traffic.calls).toEqual([expect.objectContaining({ kind: 'rollback', to: '41', idempotencyKey: stored.rollback!.idempotencyKey })]);
  });
});
