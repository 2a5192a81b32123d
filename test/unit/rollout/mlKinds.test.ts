// The engine with each ML guardrail kind (virtual clock, dry-run traffic, recorded answers):
// pass, fail and no-data paths; judged stages; failureCounting total.
import { describe, expect, it } from 'vitest';
import { DryRunTraffic, RecordedMetrics, RolloutEngine, VirtualClock, toLedgerEntry, type ChangeEntry, type MetricRecording, type RolloutEvent } from '../../../src/core/index';
import { planSchema, type Plan } from '../../../src/core/plan/schema';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function makePlan(guardrails: unknown[], stage: Record<string, unknown> = {}): Plan {
  return planSchema.parse({
    apiVersion: 'rollgate/v1',
    kind: 'RolloutPlan',
    metadata: { name: 'churn-v42', service: 'churn-scorer', environment: 'staging' },
    model: { name: 'churn', candidate: { version: '42', artifact: 's3://m/42', digest: digest('a') }, baseline: { version: '41', artifact: 's3://m/41', digest: digest('b') } },
    endpoints: { deployment: { url: 'http://127.0.0.1:8700' }, metrics: { url: 'http://127.0.0.1:9090' } },
    guardrails,
    stages: [
      { name: 'canary', kind: 'canary', traffic: 25, bake: '30s', guardrails: guardrails.map((g) => (g as { name: string }).name), ...stage },
      { name: 'full', kind: 'full', traffic: 100 },
    ],
  });
}

async function run(plan: Plan, recording: MetricRecording) {
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
  });
  engine.onEvent((event) => events.push(event));
  const final = await engine.run();
  return { final, traffic, entries, events };
}

const buckets = (counts: number[]) => {
  let running = 0;
  return { buckets: Object.fromEntries(['0.25', '0.5', '0.75', '1', '+Inf'].map((le, index) => [le, (running += counts[index] ?? 0)])) };
};
const drift = { name: 'score-drift', kind: 'drift', histogram: 'score', window: '1m', interval: '10s', minSamples: 100 };
const compare = { name: 'latency', kind: 'compare', query: 'latency{version="{{version}}"}', interval: '10s', direction: 'increase', tolerance: 0.1, minSamples: 5 };
const calibration = { name: 'calibration', kind: 'calibration', counter: 'labels', window: '1m', interval: '10s', max: 0.1, minSamples: 10 };
const steady = [10, 11, 9, 10, 12, 10, 11, 9, 10, 11];

describe('engine: drift guardrails', () => {
  it('passes a stable distribution and promotes, with the distributions in the ledger', async () => {
    const { final, entries } = await run(makePlan([drift]), { 'score-drift': { '42': [buckets([100, 200, 150, 50])], '41': [buckets([210, 390, 300, 100])] } });
    expect(final.status).toBe('promoted');
    const promote = entries.find((entry) => entry.action === 'promote')!;
    const details = toLedgerEntry(promote).details!.measurements as { drift: { candidateCounts: number[] } }[];
    expect(details[0]!.drift.candidateCounts).toEqual([100, 200, 150, 50, 0]);
  });
  it('rolls back on a shifted distribution', async () => {
    const { final, entries } = await run(makePlan([drift]), { 'score-drift': { '42': [buckets([0, 50, 150, 300])], '41': [buckets([200, 300, 150, 50])] } });
    expect(final.status).toBe('rolled-back');
    expect(entries.find((entry) => entry.action === 'guardrail-breach')!.reason).toMatch(/score-drift PSI [\d.]+ is above max 0\.2/);
  });
  it('pauses on too few observations (onNoData: inconclusive)', async () => {
    const { final } = await run(makePlan([drift]), { 'score-drift': { '42': [buckets([10, 10])], '41': [buckets([200, 300, 150, 50])] } });
    expect(final.status).toBe('paused');
    expect(final.pauseReason).toContain('fewer than minSamples 100');
  });
});

describe('engine: compare guardrails', () => {
  it('passes equal samples, rolls back a significant increase, pauses with too few samples at the end of the bake', async () => {
    expect((await run(makePlan([compare]), { latency: { '42': [{ samples: steady }], '41': [{ samples: steady }] } })).final.status).toBe('promoted');
    const slower = await run(makePlan([compare]), { latency: { '42': [{ samples: steady.map((v) => v * 2) }], '41': [{ samples: steady }] } });
    expect(slower.final.status).toBe('rolled-back');
    const few = await run(makePlan([compare]), { latency: { '42': [{ samples: [10, 11] }], '41': [{ samples: steady }] } });
    expect(few.final.status).toBe('paused');
    expect(few.final.pauseReason).toContain('fewer than minSamples 5');
  });
});

describe('engine: calibration guardrails', () => {
  const bins = (positiveShare: number) => ({
    series: [
      { labels: { bin: '0.5', label: '1' }, value: 50 * positiveShare },
      { labels: { bin: '0.5', label: '0' }, value: 50 * (1 - positiveShare) },
    ],
  });
  it('passes a calibrated candidate, rolls back a miscalibrated one, pauses without labels', async () => {
    expect((await run(makePlan([calibration]), { calibration: { '42': [bins(0.25)] } })).final.status).toBe('promoted');
    expect((await run(makePlan([calibration]), { calibration: { '42': [bins(0.6)] } })).final.status).toBe('rolled-back');
    expect((await run(makePlan([calibration]), { calibration: { '42': [null] } })).final.status).toBe('paused');
  });
});

describe('engine: judged stages and failureCounting', () => {
  const threshold = (name: string, extra: Record<string, unknown> = {}) => ({ name, query: `${name}{version="{{version}}"}`, max: 1, interval: '10s', ...extra });
  const judged = (guardrails: unknown[]) => makePlan(guardrails, { judge: { pass: 80, marginal: 60 } });

  it('promotes on a passing score although one non-critical guardrail fails throughout', async () => {
    const { final, entries } = await run(judged(['a', 'b', 'c', 'd', 'e'].map((name) => threshold(name))), { a: { '42': [0] }, b: { '42': [0] }, c: { '42': [0] }, d: { '42': [0] }, e: { '42': [5] } });
    expect(final.status).toBe('promoted');
    expect(final.stages[0]!.judgement).toMatchObject({ verdict: 'pass', score: 80 });
    // The ledger's promote entry says why: the score and its verdict.
    const promote = entries.find((entry) => entry.action === 'promote')!;
    expect(toLedgerEntry(promote).details).toMatchObject({ judgement: { verdict: 'pass', score: 80, failed: ['e'] } });
  });

  it('rolls back below marginal, and on a critical breach whatever the score', async () => {
    const low = await run(judged(['a', 'b'].map((name) => threshold(name))), { a: { '42': [0] }, b: { '42': [5] } });
    expect(low.final.status).toBe('rolled-back');
    expect(low.entries.find((entry) => entry.action === 'guardrail-breach')!.reason).toContain('judged: score 50 (1 of 2 guardrails pass) < marginal 60');
    expect(toLedgerEntry(low.entries.find((entry) => entry.action === 'guardrail-breach')!).details).toMatchObject({ judgement: { verdict: 'fail', score: 50 } });
    const critical = await run(judged([...['a', 'b', 'c', 'd', 'e'].map((name) => threshold(name)), threshold('k', { critical: true })]), {
      a: { '42': [0] },
      b: { '42': [0] },
      c: { '42': [0] },
      d: { '42': [0] },
      e: { '42': [0] },
      k: { '42': [5] },
    });
    expect(critical.final.status).toBe('rolled-back');
    expect(critical.entries.find((entry) => entry.action === 'guardrail-breach')!.reason).toContain('critical k');
  });

  it('pauses at the end of the bake on a marginal score; resuming accepts it and promotes', async () => {
    const plan = judged(['a', 'b', 'c'].map((name) => threshold(name)));
    const traffic = new DryRunTraffic('41');
    const engine = await RolloutEngine.create({
      plan,
      planDigest: digest('c'),
      traffic,
      metrics: new RecordedMetrics({ a: { '42': [0] }, b: { '42': [0] }, c: { '42': [5] } }),
      clock: new VirtualClock(),
      progressIntervalMs: Infinity,
    });
    const paused = await engine.run();
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toContain('judged marginal');
    expect(await engine.resume()).toBe(true);
    expect((await engine.run()).status).toBe('promoted');
  });

  it('failureCounting total does not forgive failures that come and go', async () => {
    const flapping = { 'error-rate': { '42': [5, 0, 5, 0, 5, 0] } };
    const consecutive = await run(makePlan([threshold('error-rate', { failureLimit: 2 })]), flapping);
    expect(consecutive.final.status).toBe('promoted');
    const total = await run(makePlan([threshold('error-rate', { failureLimit: 2, failureCounting: 'total' })]), flapping);
    expect(total.final.status).toBe('rolled-back');
  });
});
