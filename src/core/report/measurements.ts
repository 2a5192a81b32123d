// Guardrail measurements as series for charts and tables. A measurement can be recorded more than
// once (as a `guardrail-measurement` entry and again as the evidence of the promotion or breach it
// led to); it is counted once, by guardrail, run and measurement time.
import { compareRule, evidenceTable, measuresOf, mlKindOf, mlNote } from './mlEvidence';
import { formatTime } from './text';
import { numberOf, objectOf, objectsOf, stringOf } from '../ledger/fields';
import type { CollectedEntry, GuardrailBoundText, GuardrailPoint, GuardrailSeries, JudgementRow } from './types';

type Building = GuardrailSeries & { seen: Set<string>; deciding?: { extra: Record<string, unknown>; time: string; failed: boolean } };

/** Charts stay readable and reports small: longer series keep every failure and an even sample of the rest. */
export const MAX_POINTS_PER_SERIES = 2000;

function boundOf(evidence: Record<string, unknown>, extra: Record<string, unknown> | undefined): GuardrailBoundText {
  const bound = objectOf(evidence.bound) ?? {};
  const result: GuardrailBoundText = {};
  const min = numberOf(bound.min);
  const max = numberOf(bound.max);
  const minRatio = numberOf(bound.minRatio) ?? numberOf(extra?.minRatio);
  const maxRatio = numberOf(bound.maxRatio);
  if (min !== undefined) result.min = min;
  if (max !== undefined) result.max = max;
  if (minRatio !== undefined) result.minRatio = minRatio;
  if (maxRatio !== undefined) result.maxRatio = maxRatio;
  return result;
}

/** A recorded value: a finite number, null for "no data", undefined when absent. */
function valueOf(value: unknown): number | null | undefined {
  if (value === null) return null;
  return numberOf(value);
}

function ratioOf(recorded: unknown, value: number | null, baseline: number | null | undefined): number | null | undefined {
  if (typeof recorded === 'number') return Number.isFinite(recorded) ? recorded : null;
  if (typeof recorded === 'string') return null; // "Infinity": the baseline measured 0
  if (baseline === undefined) return undefined;
  if (value === null || baseline === null || baseline === 0) return null;
  return value / baseline;
}

function thin(points: GuardrailPoint[]): GuardrailPoint[] {
  if (points.length <= MAX_POINTS_PER_SERIES) return points;
  const step = points.length / MAX_POINTS_PER_SERIES;
  const kept = new Set<number>();
  for (let index = 0; index < MAX_POINTS_PER_SERIES; index += 1) kept.add(Math.floor(index * step));
  points.forEach((point, index) => {
    if (point.outcome === 'fail') kept.add(index);
  });
  kept.add(points.length - 1);
  return [...kept].sort((a, b) => a - b).map((index) => points[index]!);
}

/** The guardrail series of the covered entries, in the order guardrails were first measured. */
export function buildGuardrailSeries(entries: readonly CollectedEntry[], startMs: number): GuardrailSeries[] {
  const series = new Map<string, Building>();
  for (const { entry, verified } of entries) {
    const evidence = objectsOf(entry.evidence);
    if (evidence.length === 0) continue;
    const details = objectOf(entry.details);
    const extras = objectsOf(details?.measurements);
    const runId = stringOf(entry.runId) ?? '';
    evidence.forEach((item, index) => {
      const guardrail = stringOf(item.guardrail);
      if (!guardrail) return;
      const candidateExtra = extras[index];
      const extra = stringOf(candidateExtra?.guardrail) === guardrail ? candidateExtra : undefined;
      const value = valueOf(item.value);
      if (value === undefined) return;
      const time = stringOf(extra?.at) ?? stringOf(entry.time) ?? '';
      const bound = boundOf(item, extra);
      const key = `${guardrail}\u0000${JSON.stringify(bound)}`;
      let current = series.get(key);
      if (!current) {
        const plotted = bound.min === undefined && bound.max === undefined && (bound.minRatio !== undefined || bound.maxRatio !== undefined) ? 'ratio' : 'value';
        current = { guardrail, bound, plotted, points: [], failed: 0, noData: 0, seen: new Set() };
        series.set(key, current);
      }
      const kind = mlKindOf(extra);
      if (kind && extra) {
        current.kind = kind;
        current.measures ??= measuresOf(kind, extra);
        // A compare guardrail's first measurements may hold no test yet (too few samples): the rule comes from the first that does.
        const rule = kind === 'compare' && !current.rule ? compareRule(extra) : undefined;
        if (rule) {
          current.rule = rule.text;
          current.bound = rule.bound;
        }
      }
      const identity = `${runId}\u0000${time}`;
      if (extra?.at !== undefined && current.seen.has(identity)) return;
      current.seen.add(identity);
      const query = stringOf(item.query);
      if (query) current.query = query;
      const baselineValue = valueOf(item.baselineValue);
      const ratio = ratioOf(extra?.ratio, value, baselineValue);
      const at = Date.parse(time);
      const point: GuardrailPoint = {
        time,
        offsetMs: Number.isFinite(at) && Number.isFinite(startMs) ? Math.max(0, at - startMs) : 0,
        value,
        seq: entry.seq,
        verified,
      };
      if (baselineValue !== undefined) point.baselineValue = baselineValue;
      if (ratio !== undefined) point.ratio = ratio;
      const outcome = stringOf(item.outcome);
      if (outcome) point.outcome = outcome;
      const stage = stringOf(details?.stage);
      if (stage) point.stage = stage;
      if (extra?.dryRun === true) point.dryRun = true;
      if (current.kind && extra) {
        const note = mlNote(current.kind, extra);
        if (note) point.note = note;
        // The evidence shown is the last failing measurement's, else the newest one's.
        if (outcome === 'fail' || !current.deciding?.failed) current.deciding = { extra, time, failed: outcome === 'fail' };
      }
      current.points.push(point);
      if (outcome === 'fail') current.failed += 1;
      if (value === null) current.noData += 1;
    });
  }
  return [...series.values()].map(({ seen: _seen, deciding, ...rest }) => {
    rest.points.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.seq - b.seq);
    const evidence = rest.kind && deciding ? evidenceTable(rest.kind, deciding.extra, formatTime(deciding.time)) : undefined;
    return { ...rest, points: thin(rest.points), ...(evidence ? { evidence } : {}) };
  });
}

/** Judged stages' scores, from every covered entry that records one (`details.judgement`), oldest first. */
export function buildJudgements(entries: readonly CollectedEntry[], startMs: number): JudgementRow[] {
  const rows: JudgementRow[] = [];
  for (const { entry, verified } of entries) {
    const details = objectOf(entry.details);
    const judge = objectOf(details?.judgement);
    const verdict = stringOf(judge?.verdict);
    if (!judge || !verdict) continue;
    const time = stringOf(entry.time) ?? '';
    const at = Date.parse(time);
    const thresholds = objectOf(judge.thresholds);
    const names = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
    const row: JudgementRow = {
      seq: entry.seq,
      time,
      offsetMs: Number.isFinite(at) && Number.isFinite(startMs) ? Math.max(0, at - startMs) : 0,
      action: stringOf(entry.action) ?? '?',
      verdict,
      failed: names(judge.failed),
      criticalBreaches: names(judge.criticalBreaches),
      verified,
    };
    const optional = { stage: stringOf(details?.stage), reason: stringOf(judge.reason) };
    if (optional.stage) row.stage = optional.stage;
    if (optional.reason) row.reason = optional.reason;
    const score = numberOf(judge.score);
    if (score !== undefined) row.score = score;
    const passed = numberOf(judge.passed);
    const counted = numberOf(judge.counted);
    if (passed !== undefined) row.passed = passed;
    if (counted !== undefined) row.counted = counted;
    const pass = numberOf(thresholds?.pass);
    const marginal = numberOf(thresholds?.marginal);
    if (pass !== undefined) row.pass = pass;
    if (marginal !== undefined) row.marginal = marginal;
    rows.push(row);
  }
  return rows;
}
