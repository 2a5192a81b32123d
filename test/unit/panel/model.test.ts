import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry } from '../../../src/core/ledger/index';
import { boundText, firstOlderIndex, formatValue, sparkline, toChangelogEntry, toPanelRollout, trafficText } from '../../../src/core/panel/model';
import { throttle, type Timers } from '../../../src/core/panel/throttle';
import { validatePlan } from '../../../src/core/plan/validate';
import { DryRunTraffic, LedgerChangeLog, MemoryStateStore, RecordedMetrics, RolloutEngine, VirtualClock } from '../../../src/core/rollout/index';

const planText = readFileSync(join(__dirname, '../../../examples/churn-canary.rollout.yaml'), 'utf8');
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A real engine run (virtual clock, recorded metrics): healthy shadow, then a 5xx breach in canary-10. */
async function rolledBackRun() {
  const { plan } = validatePlan(planText);
  if (!plan) throw new Error('example plan must be valid');
  const folder = mkdtempSync(join(tmpdir(), 'rollgate-panel-'));
  folders.push(folder);
  const ledger = new Ledger({ path: join(folder, 'ledger.jsonl') });
  const healthy = Array(20).fill(0.001);
  const metrics = new RecordedMetrics({
    'error-rate': { '42': [...Array(8).fill(0.001), 0.3, 0.4, 0.5, 0.5], '41': healthy },
    'p99-latency': { '42': Array(20).fill(0.05), '41': Array(20).fill(0.05) },
  });
  const engine = await RolloutEngine.create({
    plan,
    planDigest: 'sha256:' + 'a'.repeat(64),
    traffic: new DryRunTraffic(plan.model.baseline.version),
    metrics,
    clock: new VirtualClock(),
    stateStore: new MemoryStateStore(),
    changeLog: new LedgerChangeLog(ledger),
    progressIntervalMs: Infinity,
  });
  const snapshot = await engine.run();
  return { plan, snapshot, ledger };
}

describe('toPanelRollout', () => {
  it('shows each stage state, traffic, bake progress and guardrail values against bounds', async () => {
    const { plan, snapshot } = await rolledBackRun();
    expect(snapshot.status).toBe('rolled-back');
    const panel = toPanelRollout(snapshot, { guardrails: plan.guardrails, driving: false });
    expect(panel.headline).toBe('Rolled back to 41');
    expect(panel.stages.map((stage) => [stage.name, stage.status])).toEqual([
      ['shadow', 'passed'],
      ['canary-10', 'rolled-back'],
      ['canary-50', 'pending'],
      ['full', 'pending'],
    ]);
    expect(panel.stages.map((stage) => stage.trafficText)).toEqual(['mirror 100%', 'traffic 10%', 'traffic 50%', 'traffic 100%']);
    const shadow = panel.stages[0]!;
    expect(shadow.progress).toBe(1);
    expect(shadow.bakeText).toBe('30s / 30s');
    const canary = panel.stages[1]!;
    expect(canary.current).toBe(true);
    const errorRate = canary.guardrails.find((guardrail) => guardrail.name === 'error-rate')!;
    expect(errorRate.boundText).toBe('≤ 0.02');
    expect(errorRate.max).toBe(0.02);
    expect(errorRate.outcome).toBe('fail');
    expect(errorRate.valueText).toBe('0.4');
    expect(errorRate.trend.slice(-3)).toEqual([0.001, 0.3, 0.4]);
    const latency = canary.guardrails.find((guardrail) => guardrail.name === 'p99-latency')!;
    expect(latency.boundText).toBe('ratio ≤ 1.2');
    expect(latency.valueText).toBe('0.05 (ratio 1)');
    expect(latency.max).toBeUndefined();
    // Not yet measured: the bound still comes from the plan.
    expect(panel.stages[2]!.guardrails[0]).toMatchObject({ valueText: 'not measured', boundText: '≤ 0.02' });
    expect(panel.rollbackText).toMatch(/^Rolled back to 41 by rollgate \(1 attempt\): guardrail breach in stage canary-10/);
    expect(panel.trafficText).toBe('41 100%');
  });
});

describe('toChangelogEntry', () => {
  it('turns real ledger entries into rows with lineage and evidence, newest first', async () => {
    const { ledger } = await rolledBackRun();
    const entries = (await ledger.list({ newestFirst: true })).map(toChangelogEntry);
    expect(entries[0]!.action).toBe('rollout-end');
    const rollback = entries.find((entry) => entry.action === 'rollback')!;
    expect(rollback.change).toBe('41 90%, 42 10% → 41 100%');
    expect(rollback.stage).toBe('canary-10');
    expect(rollback.failed).toBe(false);
    expect(rollback.lineage).toEqual(
      expect.arrayContaining([
        { label: 'candidate', value: '42 · s3://models/churn/42 · sha256:4f2a9c1e8b7d6054a3f21e9c8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b' },
        { label: 'baseline', value: '41 · s3://models/churn/41 · sha256:9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c' },
        { label: 'data', value: 'events · 2025-07-01 · sha256:1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d' },
        { label: 'features', value: 'churn-features v7' },
        { label: 'training', value: 'run run-8812, commit 1a2b3c4' },
      ]),
    );
    expect(rollback.evidence.find((item) => item.guardrail === 'error-rate')).toEqual({ guardrail: 'error-rate', valueText: '0.4', boundText: '≤ 0.02', outcome: 'fail' });
    expect(entries.map((entry) => entry.seq)).toEqual([...entries.map((entry) => entry.seq)].sort((a, b) => b - a));
  });

  it('shows the feature flags an entry changed; a flag that failed marks the row failed', () => {
    const base = { seq: 9, time: '2026-12-02T12:00:00Z', actor: 'rollgate-engine', action: 'rollback', prev: '', hash: 'h', from: { weights: { '41': 50, '42': 50 } }, to: { weights: { '41': 100 } } } as const;
    const ok = toChangelogEntry({
      ...base,
      flags: [{ name: 'new-ranking', reason: 'rollback: restore', before: { enabled: true, percent: 50 }, target: 'on at 20%', after: { enabled: true, percent: 20 }, outcome: 'ok', attempts: 1 }],
    });
    expect(ok.flags).toBe('new-ranking on at 50% → on at 20% (rollback: restore)');
    expect(ok.failed).toBe(false);
    const failed = toChangelogEntry({
      ...base,
      flags: [{ name: 'new-ranking', reason: 'rollback: restore', before: { enabled: true, percent: 50 }, target: 'on at 20%', outcome: 'failed', attempts: 4, manual: 'set its gradual rollout to 20%' }],
    });
    expect(failed.flags).toBe('new-ranking on at 50% → FAILED (wanted on at 20%; set its gradual rollout to 20%) (rollback: restore)');
    expect(failed.failed).toBe(true);
    // Lines appended by other tools may hold anything: never a throw, odd items skipped.
    expect(toChangelogEntry({ ...base, flags: [null, 3, { reason: 'x' }] as never }).flags).toBeUndefined();
  });
});

describe('formatting', () => {
  it('formats values, bounds and traffic for people', () => {
    expect(formatValue(0.0132456)).toBe('0.01325');
    expect(formatValue(null)).toBe('no data');
    expect(formatValue(1234567)).toBe('1.23e+6');
    expect(boundText({ min: 0.1, max: 0.9 })).toBe('0.1 … 0.9');
    expect(boundText({ min: 0.8 })).toBe('≥ 0.8');
    expect(boundText({ maxRatio: 1.2, minRatio: 0.5 })).toBe('ratio 0.5 … 1.2');
    expect(trafficText({ weights: { '42': 10, '41': 90 }, mirror: { version: '42', percent: 100 } })).toBe('41 90%, 42 10%, mirror 42 100%');
  });
});

describe('sparkline', () => {
  it('keeps every point inside the box, splits at gaps and places the bound', () => {
    const shape = sparkline([0.01, 0.012, null, 0.03, 0.05], 80, 18, { max: 0.02 });
    expect(shape.segments).toHaveLength(2);
    const points = shape.segments.flatMap((segment) => segment.split(' ').map((pair) => pair.split(',').map(Number)));
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(80);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(18);
    }
    // The highest value is drawn highest (smallest y); the bound lies between 0.012 and 0.03.
    const ys = points.map(([, y]) => y!);
    expect(Math.min(...ys)).toBe(ys[ys.length - 1]);
    expect(shape.maxY).toBeGreaterThan(ys[3]!);
    expect(shape.maxY).toBeLessThan(ys[1]!);
  });

  it('draws nothing without values and a flat line for one repeated value', () => {
    expect(sparkline([null, null], 80, 18).segments).toEqual([]);
    const flat = sparkline([1, 1, 1], 80, 18);
    const ys = new Set(flat.segments[0]!.split(' ').map((pair) => pair.split(',')[1]));
    expect(ys.size).toBe(1);
  });
});

describe('throttle', () => {
  function fakeTimers() {
    let now = 0;
    const queue: { at: number; callback: () => void; id: number }[] = [];
    let nextId = 1;
    const timers: Timers = {
      now: () => now,
      setTimeout: (callback, ms) => {
        const id = nextId++;
        queue.push({ at: now + ms, callback, id });
        return id;
      },
      clearTimeout: (handle) => {
        const index = queue.findIndex((item) => item.id === handle);
        if (index >= 0) queue.splice(index, 1);
      },
    };
    const advance = (ms: number) => {
      now += ms;
      for (const item of queue.filter((entry) => entry.at <= now)) {
        queue.splice(queue.indexOf(item), 1);
        item.callback();
      }
    };
    return { timers, advance };
  }

  it('runs at once, collapses a burst into one trailing run within the interval', () => {
    const { timers, advance } = fakeTimers();
    let runs = 0;
    const throttled = throttle(() => runs++, 1000, timers);
    throttled.schedule();
    expect(runs).toBe(1);
    for (let i = 0; i < 50; i++) {
      advance(10);
      throttled.schedule();
    }
    expect(runs).toBe(1);
    advance(500);
    expect(runs).toBe(2);
    advance(5000);
    expect(runs).toBe(2);
    throttled.schedule();
    expect(runs).toBe(3);
    throttled.schedule();
    throttled.dispose();
    advance(5000);
    expect(runs).toBe(3);
  });
});

describe('firstOlderIndex', () => {
  it('finds where the page older than a seq starts in a newest-first list', () => {
    const entries = [10, 9, 7, 4, 1].map((seq) => ({ seq }));
    expect(firstOlderIndex(entries, 11)).toBe(0);
    expect(firstOlderIndex(entries, 10)).toBe(1);
    expect(firstOlderIndex(entries, 8)).toBe(2);
    expect(firstOlderIndex(entries, 7)).toBe(3);
    expect(firstOlderIndex(entries, 1)).toBe(5);
    expect(firstOlderIndex([], 5)).toBe(0);
  });
});

describe('toChangelogEntry on entries written by anyone', () => {
  it('never throws, whatever shape the optional fields have (teams may append their own entries)', () => {
    const anyValue = fc.anything({ maxDepth: 3 });
    fc.assert(
      fc.property(
        fc.record(
          {
            seq: fc.nat(),
            time: fc.string(),
            action: fc.string(),
            actor: fc.string(),
            hash: fc.string(),
            prev: fc.string(),
            service: anyValue,
            from: anyValue,
            to: anyValue,
            reason: anyValue,
            evidence: anyValue,
            lineage: fc.oneof(anyValue, fc.record({ candidate: anyValue, baseline: anyValue, data: anyValue, features: anyValue, training: anyValue }, { requiredKeys: [] })),
            request: anyValue,
            details: anyValue,
            planDigest: anyValue,
          },
          { requiredKeys: ['seq', 'time', 'action', 'actor', 'hash', 'prev'] },
        ),
        (entry) => {
          const row = toChangelogEntry(entry as unknown as LedgerEntry);
          return typeof row.action === 'string' && Array.isArray(row.lineage) && Array.isArray(row.evidence);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
