/**
 * Pure conversions from the engine's snapshot and the ledger's entries to what the side panel
 * shows. No DOM, no node: used by the host to build messages and by the webview for sparklines.
 */
import type { GuardrailBound } from '../guardrails/evaluate';
import { numberOf, objectOf, objectsOf, recordedTraffic, stringOf } from '../ledger/fields';
import type { LedgerEntry, LedgerTraffic } from '../ledger/types';
import type { Guardrail } from '../plan/schema';
import type { TrafficState } from '../rollout/ports';
import { describeTraffic } from '../rollout/traffic';
import { describeLedgerFlagChange, recordedFlagChanges } from '../flags/describe';
import { bakeProgress, type GuardrailState, type RolloutSnapshot, type StageSnapshot } from '../rollout/state';
import { guardrailVisual } from './visuals';
import type { PanelChangelogEntry, PanelChart, PanelEvidence, PanelGuardrail, PanelLineageLine, PanelRollout, PanelStage } from './protocol';
import { entrySourceOf } from './source';

/** Numbers as people read them: up to 4 significant digits, no exponent for everyday values. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'no data';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** "≤ 0.02", "≥ 0.8", "0.1 … 0.9", "ratio ≤ 1.2"; empty when there is no bound. */
export function boundText(bound: Partial<GuardrailBound> | undefined): string {
  if (!bound) return '';
  const parts: string[] = [];
  if (bound.min !== undefined && bound.max !== undefined) parts.push(`${formatValue(bound.min)} … ${formatValue(bound.max)}`);
  else if (bound.max !== undefined) parts.push(`≤ ${formatValue(bound.max)}`);
  else if (bound.min !== undefined) parts.push(`≥ ${formatValue(bound.min)}`);
  if (bound.minRatio !== undefined && bound.maxRatio !== undefined) parts.push(`ratio ${formatValue(bound.minRatio)} … ${formatValue(bound.maxRatio)}`);
  else if (bound.maxRatio !== undefined) parts.push(`ratio ≤ ${formatValue(bound.maxRatio)}`);
  else if (bound.minRatio !== undefined) parts.push(`ratio ≥ ${formatValue(bound.minRatio)}`);
  return parts.join(', ');
}

function boundOfGuardrail(guardrail: Guardrail | undefined): Partial<GuardrailBound> | undefined {
  if (!guardrail) return undefined;
  const bound: Partial<GuardrailBound> = {};
  if (guardrail.min !== undefined) bound.min = guardrail.min;
  if (guardrail.max !== undefined) bound.max = guardrail.max;
  if (guardrail.minRatio !== undefined) bound.minRatio = guardrail.minRatio;
  if (guardrail.maxRatio !== undefined) bound.maxRatio = guardrail.maxRatio;
  return bound;
}

/** "41 90%, 42 10%, mirror 42 100%" (`describeTraffic`'s list style). */
export function trafficText(traffic: Pick<TrafficState, 'weights' | 'mirror'> | LedgerTraffic | undefined): string {
  return describeTraffic(traffic, 'list');
}

function durationText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
}

function panelGuardrail(state: GuardrailState, guardrail: Guardrail | undefined): PanelGuardrail {
  const last = state.last;
  const bound = last?.bound ?? boundOfGuardrail(guardrail);
  const isRelative = last ? last.ratio !== undefined || last.baselineValue !== undefined : guardrail?.relativeTo === 'baseline';
  let valueText = 'not measured';
  if (last) {
    valueText = last.noData ? 'no data' : formatValue(last.value);
    if (isRelative && last.ratio !== undefined) valueText += ` (ratio ${formatValue(last.ratio)})`;
  }
  const result: PanelGuardrail = {
    name: state.name,
    valueText,
    boundText: boundText(bound),
    consecutiveFailures: state.consecutiveFailures,
    trend: [...state.trend],
  };
  if (last) {
    result.outcome = last.outcome === 'pass' || last.outcome === 'fail' || last.outcome === 'inconclusive' ? last.outcome : 'skipped';
    result.reason = last.reason;
  }
  // Only absolute bounds are drawn: the trend holds the candidate's raw values, not ratios.
  if (bound?.max !== undefined) result.max = bound.max;
  if (bound?.min !== undefined) result.min = bound.min;
  const visual = guardrailVisual(last);
  if (visual) result.visual = visual;
  return result;
}

function panelStage(stage: StageSnapshot, index: number, snapshot: RolloutSnapshot, guardrails: ReadonlyMap<string, Guardrail>): PanelStage {
  const traffic = stage.traffic !== undefined ? `traffic ${stage.traffic}%` : stage.mirror !== undefined ? `mirror ${stage.mirror}%` : '';
  const result: PanelStage = {
    name: stage.name,
    kind: stage.kind,
    status: stage.status,
    current: index === snapshot.stageIndex,
    trafficText: traffic,
    manualApproval: stage.approval === 'manual',
    guardrails: stage.guardrails.map((state) => panelGuardrail(state, guardrails.get(state.name))),
  };
  if (stage.judge) {
    const judgement = stage.judgement;
    result.judge = {
      ...stage.judge,
      ...(judgement?.score !== undefined ? { score: judgement.score } : {}),
      verdict: judgement?.verdict ?? 'inconclusive',
      reason: judgement?.reason ?? 'not judged yet',
    };
  }
  if (stage.bakeMs > 0) {
    result.progress = bakeProgress(stage);
    result.bakeText = `${durationText(Math.min(stage.bakeElapsedMs, stage.bakeMs))} / ${durationText(stage.bakeMs)}`;
  }
  return result;
}

/**
 * One chart per guardrail name across the stages, in plan order: each stage's timed measurements
 * (`GuardrailState.history`), the bound of its latest stage, and a marker where each started
 * stage began (its traffic change).
 */
export function guardrailCharts(snapshot: Pick<RolloutSnapshot, 'stages'>, panelStages: readonly PanelStage[]): PanelChart[] {
  const charts = new Map<string, PanelChart>();
  const markers: PanelChart['markers'] = [];
  snapshot.stages.forEach((stage, index) => {
    const started = stage.startedAt ? Date.parse(stage.startedAt) : Number.NaN;
    if (!Number.isNaN(started)) markers.push({ t: started, label: `${stage.name}${panelStages[index]?.trafficText ? ` (${panelStages[index]!.trafficText})` : ''}` });
    stage.guardrails.forEach((state, position) => {
      const shown = panelStages[index]?.guardrails[position];
      let chart = charts.get(state.name);
      if (!chart) charts.set(state.name, (chart = { guardrail: state.name, points: [], boundText: '', markers }));
      for (const point of state.history ?? []) {
        const t = Date.parse(point.at);
        if (!Number.isNaN(t)) chart.points.push({ t, value: point.value, outcome: point.outcome, stage: stage.name });
      }
      if (shown) {
        chart.boundText = shown.boundText;
        if (shown.max !== undefined) chart.max = shown.max;
        if (shown.min !== undefined) chart.min = shown.min;
      }
    });
  });
  for (const chart of charts.values()) chart.points.sort((a, b) => a.t - b.t);
  return [...charts.values()].filter((chart) => chart.points.length > 0);
}

/** One line saying where the rollout stands. */
export function rolloutHeadline(snapshot: RolloutSnapshot): string {
  const stage = snapshot.stages[snapshot.stageIndex];
  switch (snapshot.status) {
    case 'pending':
      return 'Not started';
    case 'running': {
      if (!stage) return 'Running';
      if (stage.status === 'baking' && stage.bakeMs > 0) return `Baking ${stage.name} (${Math.round(bakeProgress(stage) * 100)}%)`;
      return `Running ${stage.name}`;
    }
    case 'paused':
      return `Paused${stage ? ` at ${stage.name}` : ''}`;
    case 'waiting-approval':
      return `Waiting for approval after ${stage?.name ?? 'the stage'}`;
    case 'rolling-back':
      return `Rolling back to ${snapshot.rollbackTo}`;
    case 'promoted':
      return `Promoted: ${snapshot.candidateVersion} at 100%`;
    case 'rolled-back':
      return `Rolled back to ${snapshot.rollbackTo}`;
    case 'failed':
      return 'Failed: roll back by hand';
  }
}

/** The status bar's short text for a rollout; undefined before it starts. */
export function rolloutStatusLine(snapshot: RolloutSnapshot | undefined): string | undefined {
  if (!snapshot || snapshot.status === 'pending') return undefined;
  const stage = snapshot.stages[snapshot.stageIndex];
  switch (snapshot.status) {
    case 'running':
      return stage?.status === 'baking' && stage.bakeMs > 0 ? `${stage.name} ${Math.round(bakeProgress(stage) * 100)}%` : `${stage?.name ?? 'running'}`;
    case 'waiting-approval':
      return `${stage?.name ?? ''} awaits approval`;
    case 'paused':
      return `paused at ${stage?.name ?? 'end'}`;
    case 'rolling-back':
      return `rolling back to ${snapshot.rollbackTo}`;
    case 'rolled-back':
      return `rolled back to ${snapshot.rollbackTo}`;
    case 'promoted':
      return `${snapshot.candidateVersion} promoted`;
    case 'failed':
      return 'rollback FAILED';
  }
}

/** The panel's view of one rollout. `guardrails` are the plan's definitions (for bounds before the first measurement). */
export function toPanelRollout(snapshot: RolloutSnapshot, options: { guardrails?: readonly Guardrail[]; driving: boolean; drill?: boolean }): PanelRollout {
  const guardrails = new Map((options.guardrails ?? []).map((guardrail) => [guardrail.name, guardrail]));
  const result: PanelRollout = {
    service: snapshot.service,
    planName: snapshot.planName,
    candidateVersion: snapshot.candidateVersion,
    baselineVersion: snapshot.baselineVersion,
    rollbackTo: snapshot.rollbackTo,
    status: snapshot.status,
    headline: rolloutHeadline(snapshot),
    trafficText: trafficText(snapshot.traffic),
    driving: options.driving,
    drill: options.drill ?? false,
    stages: snapshot.stages.map((stage, index) => panelStage(stage, index, snapshot, guardrails)),
    updatedAt: snapshot.updatedAt,
  };
  const charts = guardrailCharts(snapshot, result.stages);
  if (charts.length > 0) result.charts = charts;
  if (snapshot.pauseReason) result.pauseReason = snapshot.pauseReason;
  if (snapshot.rollback) {
    const record = snapshot.rollback;
    result.rollbackText = record.completedAt
      ? `Rolled back to ${record.to} by ${record.actor} (${record.attempts} attempt${record.attempts === 1 ? '' : 's'}): ${record.reason}`
      : record.error
        ? `Rollback to ${record.to} FAILED after ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}: ${record.error}`
        : `Rolling back to ${record.to}: ${record.reason}`;
  }
  return result;
}

function joined(parts: (string | undefined)[], separator: string): string {
  return parts.filter((part): part is string => part !== undefined).join(separator);
}

/** A recorded traffic state as text: "41 50%, 42 50%", or the version it names. */
function trafficOf(value: unknown): string {
  const traffic = recordedTraffic(value);
  return traffic ? trafficText(traffic) || traffic.version || '' : '';
}

function lineageLines(entry: LedgerEntry): PanelLineageLine[] {
  const lineage = objectOf(entry.lineage);
  const lines: PanelLineageLine[] = [];
  if (lineage) {
    for (const label of ['candidate', 'baseline'] as const) {
      const item = objectOf(lineage[label]);
      if (item) lines.push({ label, value: joined([stringOf(item.version), stringOf(item.artifact), stringOf(item.digest)], ' · ') });
    }
    for (const data of objectsOf(lineage.data)) lines.push({ label: 'data', value: joined([stringOf(data.name), stringOf(data.snapshot), stringOf(data.digest)], ' · ') });
    for (const feature of objectsOf(lineage.features)) {
      const version = stringOf(feature.version);
      lines.push({ label: 'features', value: joined([stringOf(feature.name), version ? `v${version}` : undefined], ' ') });
    }
    const training = objectOf(lineage.training);
    const run = stringOf(training?.run);
    const commit = stringOf(training?.commit);
    if (run || commit) lines.push({ label: 'training', value: joined([run ? `run ${run}` : undefined, commit ? `commit ${commit}` : undefined], ', ') });
  }
  const planDigest = stringOf(entry.planDigest);
  if (planDigest) lines.push({ label: 'plan', value: planDigest });
  return lines;
}

function panelEvidence(evidence: Record<string, unknown>): PanelEvidence {
  const bound = objectOf(evidence.bound);
  const item: PanelEvidence = {
    guardrail: stringOf(evidence.guardrail) ?? '?',
    valueText: evidence.value === null ? 'no data' : numberOf(evidence.value) !== undefined ? formatValue(numberOf(evidence.value)) : '',
    boundText: bound ? boundText({ min: numberOf(bound.min), max: numberOf(bound.max), minRatio: numberOf(bound.minRatio), maxRatio: numberOf(bound.maxRatio) } as Partial<GuardrailBound>) : '',
  };
  const outcome = stringOf(evidence.outcome);
  if (outcome) item.outcome = outcome;
  return item;
}

/** The panel's view of one ledger entry: what changed, why, and the lineage and evidence behind it. */
export function toChangelogEntry(entry: LedgerEntry): PanelChangelogEntry {
  const details = objectOf(entry.details);
  const request = objectOf(entry.request);
  const from = trafficOf(entry.from);
  const to = trafficOf(entry.to);
  const outcome = details?.outcome ?? request?.outcome;
  const stage = stringOf(details?.stage) ?? stringOf(objectOf(entry.to)?.stage) ?? stringOf(objectOf(entry.from)?.stage);
  const result: PanelChangelogEntry = {
    seq: numberOf(entry.seq) ?? 0,
    time: stringOf(entry.time) ?? '',
    action: stringOf(entry.action) ?? '?',
    actor: stringOf(entry.actor) ?? '?',
    failed: outcome === 'failed' || outcome === 'error',
    lineage: lineageLines(entry),
    evidence: objectsOf(entry.evidence).map(panelEvidence),
    hash: stringOf(entry.hash) ?? '',
  };
  const service = stringOf(entry.service);
  if (service) result.service = service;
  if (stage) result.stage = stage;
  if (from || to) result.change = `${from || '—'} → ${to || '—'}`;
  else if (request && stringOf(request.method) && stringOf(request.url)) {
    const status = numberOf(request.status);
    result.change = `${stringOf(request.method)} ${stringOf(request.url)}${status !== undefined ? ` → ${status}` : ''}`;
  }
  const reason = stringOf(entry.reason);
  if (reason) result.reason = reason;
  const source = entrySourceOf(entry);
  if (source) result.source = source.kind;
  // A change a runbook cell made says which cell (a cell-run entry is that cell's own record).
  if (source?.kind === 'cell' && entry.action !== 'cell-run') result.origin = cellOriginText(source);
  const flags = recordedFlagChanges(entry.flags);
  if (flags.length > 0) {
    result.flags = flags.map((change) => describeLedgerFlagChange(change, '→')).join('; ');
    if (flags.some((change) => change.outcome !== 'ok')) result.failed = true;
  }
  return result;
}

/** "churn-canary.runbook.md, cell 7 (undo)": a runbook cell as the notebook numbers it. */
export function cellOriginText(source: { runbook: string; index?: number; name?: string }): string {
  if (source.index === undefined) return `${source.runbook}, cell "${source.name ?? '?'}"`;
  return `${source.runbook}, cell ${source.index + 1}${source.name ? ` (${source.name})` : ''}`;
}

/**
 * Points of an SVG polyline for a trend, in a `width` x `height` box (y grows downwards). Gaps
 * (null) split the line into segments. The scale includes the bounds so a line near its bound
 * is drawn near it. Returns the segments and the y of each bound.
 */
export function sparkline(trend: readonly (number | null)[], width: number, height: number, bounds: { min?: number; max?: number } = {}): { segments: string[]; maxY?: number; minY?: number } {
  const values = trend.filter((value): value is number => value !== null && Number.isFinite(value));
  if (values.length === 0) return { segments: [] };
  const scale = [...values, ...(bounds.min !== undefined ? [bounds.min] : []), ...(bounds.max !== undefined ? [bounds.max] : [])];
  let low = Math.min(...scale);
  let high = Math.max(...scale);
  if (high === low) {
    high += Math.abs(high) * 0.1 || 1;
    low -= Math.abs(low) * 0.1 || 0;
  }
  const pad = 1;
  const y = (value: number) => Number((pad + (1 - (value - low) / (high - low)) * (height - 2 * pad)).toFixed(2));
  const step = trend.length > 1 ? (width - 2 * pad) / (trend.length - 1) : 0;
  const segments: string[] = [];
  let current: string[] = [];
  trend.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      if (current.length) segments.push(current.join(' '));
      current = [];
      return;
    }
    const x = trend.length > 1 ? Number((pad + index * step).toFixed(2)) : width / 2;
    current.push(`${x},${y(value)}`);
  });
  if (current.length) segments.push(current.join(' '));
  const result: { segments: string[]; maxY?: number; minY?: number } = { segments };
  if (bounds.max !== undefined) result.maxY = y(bounds.max);
  if (bounds.min !== undefined) result.minY = y(bounds.min);
  return result;
}

/** Index of the first entry older than `seq` in a newest-first list (binary search). */
export function firstOlderIndex(entries: readonly { seq: number }[], seq: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (entries[middle]!.seq >= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}
