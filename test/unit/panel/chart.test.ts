import { describe, expect, it } from 'vitest';

import { chartNumber, layoutChart } from '../../../src/core/panel/chart';
import { guardrailCharts, toPanelRollout } from '../../../src/core/panel/model';
import type { PanelChart } from '../../../src/core/panel/protocol';
import type { RolloutSnapshot } from '../../../src/core/rollout/state';

const T0 = Date.parse('2026-12-02T12:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function snapshot(): Pick<RolloutSnapshot, 'stages'> {
  const stage = (name: string, traffic: number, startedAt: number, history: { at: string; value: number | null; outcome: string }[]) => ({
    name,
    kind: 'canary' as const,
    traffic,
    approval: 'auto' as const,
    status: 'passed' as const,
    bakeMs: 0,
    bakeElapsedMs: 0,
    trafficApplied: true,
    startedAt: at(startedAt),
    guardrails: [{ name: 'error-rate', consecutiveFailures: 0, measurements: history.length, trend: history.map((point) => point.value), history, last: { bound: { max: 0.02 } } as never }],
  });
  return {
    stages: [
      stage('canary-10', 10, 0, [
        { at: at(5), value: 0.01, outcome: 'pass' },
        { at: at(10), value: null, outcome: 'inconclusive' },
      ]),
      stage('canary-50', 50, 20, [
        { at: at(25), value: 0.015, outcome: 'pass' },
        { at: at(30), value: 0.05, outcome: 'fail' },
      ]),
    ],
  } as Pick<RolloutSnapshot, 'stages'>;
}

describe('guardrail charts', () => {
  it('joins a guardrail across stages on one time axis with stage starts as markers and its bound', () => {
    const snap = snapshot();
    const panelStages = toPanelRollout(
      { ...snap, service: 's', planName: 'p', candidateVersion: '42', baselineVersion: '41', rollbackTo: '41', status: 'rolled-back', stageIndex: 1, updatedAt: at(31) } as unknown as RolloutSnapshot,
      { driving: false },
    ).stages;
    const [chart, ...others] = guardrailCharts(snap, panelStages);
    expect(others).toEqual([]);
    expect(chart!.guardrail).toBe('error-rate');
    expect(chart!.points.map((point) => [point.value, point.stage])).toEqual([
      [0.01, 'canary-10'],
      [null, 'canary-10'],
      [0.015, 'canary-50'],
      [0.05, 'canary-50'],
    ]);
    expect(chart!.max).toBe(0.02);
    expect(chart!.markers).toEqual([
      { t: T0, label: 'canary-10 (traffic 10%)' },
      { t: T0 + 20_000, label: 'canary-50 (traffic 50%)' },
    ]);
  });

  it('lays out the bound above passing points and below the breach, breaks the line at no data, and labels the axes', () => {
    const chart: PanelChart = {
      guardrail: 'error-rate',
      boundText: '≤ 0.02',
      max: 0.02,
      points: [
        { t: T0 + 5000, value: 0.01, outcome: 'pass', stage: 'a' },
        { t: T0 + 10_000, value: null, outcome: 'inconclusive', stage: 'a' },
        { t: T0 + 25_000, value: 0.015, outcome: 'pass', stage: 'b' },
        { t: T0 + 30_000, value: 0.05, outcome: 'fail', stage: 'b' },
      ],
      markers: [
        { t: T0, label: 'a' },
        { t: T0 + 20_000, label: 'b' },
      ],
    };
    const layout = layoutChart(chart, 300, 110);
    const bound = layout.bounds[0]!;
    const [first, second, breach] = layout.points;
    // SVG y grows downwards: a value under the bound sits below its line.
    expect(first!.y).toBeGreaterThan(bound.y);
    expect(second!.y).toBeGreaterThan(bound.y);
    expect(breach!.y).toBeLessThan(bound.y);
    expect(breach!.y).toBeGreaterThanOrEqual(layout.plot.top);
    expect(layout.segments).toHaveLength(2);
    expect(layout.gaps.map((gap) => gap.point.t)).toEqual([T0 + 10_000]);
    expect(layout.markers[0]!.x).toBe(layout.plot.left);
    expect(layout.markers[1]!.x).toBeGreaterThan(first!.x);
    expect(layout.markers[1]!.x).toBeLessThan(layout.points[1]!.x);
    expect(layout.xTicks.map((tick) => tick.label)).toEqual(['12:00:00', '12:00:30']);
    expect(layout.yTicks[0]!.label).toBe('0');
    expect(bound.label).toBe('max 0.02');
  });

  it('survives an empty or flat chart and formats numbers for people', () => {
    const empty = layoutChart({ guardrail: 'g', boundText: '', points: [], markers: [] }, 300, 110);
    expect(empty.segments).toEqual([]);
    const flat = layoutChart({ guardrail: 'g', boundText: '', points: [{ t: T0, value: 3, outcome: 'pass', stage: 's' }], markers: [] }, 300, 110);
    expect(Number.isFinite(flat.points[0]!.y)).toBe(true);
    expect(chartNumber(0.000_012_3)).toBe('1.23e-5');
    expect(chartNumber(1234.5678)).toBe('1235');
  });
});
