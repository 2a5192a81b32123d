/**
 * Pure conversions from the engine's snapshot and the ledger's entries to what the side panel
 * shows. No DOM, no node: used by the host to build messages and by the webview for sparklines.
 */
import type { GuardrailBound } from '../guardrails/evaluate';
import type { LedgerEntry, LedgerEvidence, LedgerTraffic } from '../ledger/types';
import type { Guardrail } from '../plan/schema';
import type { TrafficState } from '../rollout/ports';
import type { GuardrailState, RolloutSnapshot, StageSnapshot } from '../rollout/state';
import type { PanelChangelogEntry, PanelEvidence, PanelGuardrail, PanelLineageLine, PanelRollout, PanelStage } from './protocol';

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

/** "41 90%, 42 10%, mirror 42 100%". */
export function trafficText(traffic: Pick<TrafficState, 'weights' | 'mirror'> | LedgerTraffic | undefined): string {
  if (!traffic) return '';
  const weights = Object.entries(traffic.weights ?? {})
    .filter(([, weight]) => weight > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([version, weight]) => `${version} ${weight}%`);
  if (traffic.mirror && traffic.mirror.percent > 0) weights.push(`mirror ${traffic.mirror.version} ${traffic.mirror.percent}%`);
  return weights.join(', ');
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
  if (stage.bakeMs > 0) {
    result.progress = Math.max(0, Math.min(1, stage.bakeElapsedMs / stage.bakeMs));
    result.bakeText = `${durationText(Math.min(stage.bakeElapsedMs, stage.bakeMs))} / ${durationText(stage.bakeMs)}`;
  }
  return result;
}

/** One line saying where the rollout stands. */
export function rolloutHeadline(snapshot: RolloutSnapshot): string {
  const stage = snapshot.stages[snapshot.stageIndex];
  switch (snapshot.status) {
    case 'pending':
      return 'Not started';
    case 'running': {
      if (!stage) return 'Running';
      if (stage.status === 'baking' && stage.bakeMs > 0) return `Baking ${stage.name} (${Math.round(Math.min(1, stage.bakeElapsedMs / stage.bakeMs) * 100)}%)`;
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

/** The panel's view of one rollout. `guardrails` are the plan's definitions (for bounds before the first measurement). */
export function toPanelRollout(
  snapshot: RolloutSnapshot,
  options: { guardrails?: readonly Guardrail[]; driving: boolean; drill?: boolean },
): PanelRollout {
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

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function lineageLines(entry: LedgerEntry): PanelLineageLine[] {
  const lineage = entry.lineage;
  if (!lineage) return [];
  const lines: PanelLineageLine[] = [];
  const version = (label: string, item: { version: string; digest?: string; artifact?: string } | undefined) => {
    if (!item) return;
    lines.push({ label, value: [item.version, item.artifact, item.digest].filter(Boolean).join(' · ') });
  };
  version('candidate', lineage.candidate);
  version('baseline', lineage.baseline);
  for (const data of lineage.data ?? []) lines.push({ label: 'data', value: [data.name, data.snapshot, data.digest].filter(Boolean).join(' · ') });
  for (const feature of lineage.features ?? []) lines.push({ label: 'features', value: [feature.name, feature.version ? `v${feature.version}` : undefined].filter(Boolean).join(' ') });
  if (lineage.training && (lineage.training.run || lineage.training.commit)) {
    lines.push({ label: 'training', value: [lineage.training.run ? `run ${lineage.training.run}` : undefined, lineage.training.commit ? `commit ${lineage.training.commit}` : undefined].filter(Boolean).join(', ') });
  }
  if (entry.planDigest) lines.push({ label: 'plan', value: entry.planDigest });
  return lines;
}

function panelEvidence(evidence: LedgerEvidence): PanelEvidence {
  const item: PanelEvidence = {
    guardrail: evidence.guardrail ?? '?',
    valueText: evidence.value === undefined ? '' : formatValue(evidence.value),
    boundText: boundText(evidence.bound),
  };
  if (evidence.outcome) item.outcome = evidence.outcome;
  return item;
}

/** The panel's view of one ledger entry: what changed, why, and the lineage and evidence behind it. */
export function toChangelogEntry(entry: LedgerEntry): PanelChangelogEntry {
  const evidence = entry.evidence === undefined ? [] : Array.isArray(entry.evidence) ? entry.evidence : [entry.evidence];
  const from = trafficText(entry.from);
  const to = trafficText(entry.to);
  const outcome = entry.details?.outcome ?? entry.request?.outcome;
  const stage = stringOf(entry.details?.stage) ?? entry.to?.stage ?? entry.from?.stage;
  const result: PanelChangelogEntry = {
    seq: entry.seq,
    time: entry.time,
    action: entry.action,
    actor: entry.actor,
    failed: outcome === 'failed' || outcome === 'error',
    lineage: lineageLines(entry),
    evidence: evidence.map(panelEvidence),
    hash: entry.hash,
  };
  if (entry.service) result.service = entry.service;
  if (stage) result.stage = stage;
  if (from || to) result.change = `${from || '—'} → ${to || '—'}`;
  else if (entry.request) result.change = `${entry.request.method} ${entry.request.url}${entry.request.status ? ` → ${entry.request.status}` : ''}`;
  if (entry.reason) result.reason = entry.reason;
  return result;
}

/**
 * Points of an SVG polyline for a trend, in a `width` x `height` box (y grows downwards). Gaps
 * (null) split the line into segments. The scale includes the bounds so a line near its bound
 * is drawn near it. Returns the segments and the y of each bound.
 */
export function sparkline(
  trend: readonly (number | null)[],
  width: number,
  height: number,
  bounds: { min?: number; max?: number } = {},
): { segments: string[]; maxY?: number; minY?: number } {
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
