import type { Guardrail } from '../plan/schema';
import { measureCalibration } from './measureCalibration';
import { measureCompare } from './measureCompare';
import { measureDrift } from './measureDrift';
import { formatNumber, noData, safely, type GuardrailBound, type GuardrailMeasurement, type MeasureOptions, type MetricHint, type MetricReading, type MetricSource } from './measurement';
import { substitutePlaceholders, type QueryContext } from './placeholders';

export * from './measurement';

/** The thresholds of a guardrail, without undefined keys (so evidence serialises compactly). */
export function guardrailBound(guardrail: Guardrail): GuardrailBound {
  const bound: GuardrailBound = {};
  if (guardrail.min !== undefined) bound.min = guardrail.min;
  if (guardrail.max !== undefined) bound.max = guardrail.max;
  if (guardrail.relativeTo === 'baseline') {
    if (guardrail.minRatio !== undefined) bound.minRatio = guardrail.minRatio;
    if (guardrail.maxRatio !== undefined) bound.maxRatio = guardrail.maxRatio;
  }
  return bound;
}

function hasNumber(reading: MetricReading): reading is MetricReading & { value: number } {
  return reading.error === undefined && reading.value !== undefined && !Number.isNaN(reading.value);
}

/** Compares a number with absolute bounds; returns the violated bound's description or undefined. */
function absoluteViolation(value: number, bound: GuardrailBound): string | undefined {
  if (bound.min !== undefined && value < bound.min) return `${formatNumber(value)} is below min ${formatNumber(bound.min)}`;
  if (bound.max !== undefined && value > bound.max) return `${formatNumber(value)} is above max ${formatNumber(bound.max)}`;
  return undefined;
}

/**
 * Measures one guardrail once, by its kind: a threshold runs its query for the candidate (and,
 * for `relativeTo: baseline`, for the baseline) and compares with its bounds; drift, compare and
 * calibration are measured by their own modules. Never throws: a failing metric endpoint is "no
 * data", which follows the guardrail's `onNoData`.
 */
export async function measureGuardrail(guardrail: Guardrail, context: Omit<QueryContext, 'version'>, metrics: MetricSource, options: MeasureOptions = {}): Promise<GuardrailMeasurement> {
  switch (guardrail.kind) {
    case 'drift':
      return measureDrift(guardrail, context, metrics, options);
    case 'compare':
      return measureCompare(guardrail, context, metrics, options);
    case 'calibration':
      return measureCalibration(guardrail, context, metrics, options);
    default:
      return measureThreshold(guardrail, context, metrics, options);
  }
}

async function measureThreshold(guardrail: Guardrail, context: Omit<QueryContext, 'version'>, metrics: MetricSource, options: MeasureOptions): Promise<GuardrailMeasurement> {
  const now = options.now ?? Date.now;
  const bound = guardrailBound(guardrail);
  // Plan validation requires a query for threshold guardrails; an empty one reads as no data.
  const query = substitutePlaceholders(guardrail.query ?? '', { ...context, version: context.candidateVersion });
  const base = { guardrail: guardrail.name, kind: 'threshold' as const, query, bound, dryRun: guardrail.dryRun };
  const reading = await safeRead(metrics, query, options.signal, { guardrail: guardrail.name, version: context.candidateVersion });
  const at = new Date(now()).toISOString();
  if (reading.skipped) {
    return { ...base, outcome: 'skipped', noData: false, reason: 'not measured (nothing to read in this dry run)', at };
  }
  if (!hasNumber(reading)) return noData(guardrail, { ...base, at, ...(reading.error ? { error: reading.error } : {}) }, 'the query returned no data');

  const value = reading.value;
  const absolute = absoluteViolation(value, bound);
  if (guardrail.relativeTo !== 'baseline') {
    return absolute ? { ...base, value, at, outcome: 'fail', noData: false, reason: absolute } : { ...base, value, at, outcome: 'pass', noData: false, reason: `${formatNumber(value)} is within bounds` };
  }

  const baselineQuery = substitutePlaceholders(guardrail.query ?? '', { ...context, version: context.baselineVersion });
  const baselineReading = await safeRead(metrics, baselineQuery, options.signal, { guardrail: guardrail.name, version: context.baselineVersion });
  const withBaseline = { ...base, value, baselineQuery, at };
  if (baselineReading.skipped) return { ...withBaseline, outcome: 'skipped', noData: false, reason: 'baseline not measured (nothing to read in this dry run)' };
  if (!hasNumber(baselineReading)) {
    return noData(guardrail, { ...withBaseline, ...(baselineReading.error ? { error: baselineReading.error } : {}) }, 'the baseline query returned no data');
  }
  const baselineValue = baselineReading.value;
  // A zero baseline has no meaningful ratio: equal zeros count as ratio 1, any positive
  // candidate value as an infinite ratio (it fails maxRatio and passes minRatio), explicitly.
  const ratio = baselineValue === 0 ? (value === 0 ? 1 : value > 0 ? Infinity : -Infinity) : value / baselineValue;
  const measured = { ...withBaseline, baselineValue, ratio, noData: false };
  const zeroNote = baselineValue === 0 ? ' (baseline is 0)' : '';
  if (absolute) return { ...measured, outcome: 'fail', reason: absolute };
  if (bound.maxRatio !== undefined && ratio > bound.maxRatio) {
    return { ...measured, outcome: 'fail', reason: `ratio to baseline ${formatNumber(ratio)} is above maxRatio ${formatNumber(bound.maxRatio)}${zeroNote}` };
  }
  if (bound.minRatio !== undefined && ratio < bound.minRatio) {
    return { ...measured, outcome: 'fail', reason: `ratio to baseline ${formatNumber(ratio)} is below minRatio ${formatNumber(bound.minRatio)}${zeroNote}` };
  }
  return { ...measured, outcome: 'pass', reason: `ratio to baseline ${formatNumber(ratio)} is within bounds${zeroNote}` };
}

function safeRead(metrics: MetricSource, promql: string, signal: AbortSignal | undefined, hint: MetricHint): Promise<MetricReading> {
  return safely(() => metrics.queryScalar(promql, signal, hint));
}
