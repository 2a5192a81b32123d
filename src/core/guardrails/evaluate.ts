import type { Guardrail } from '../plan/schema';
import { substitutePlaceholders, type QueryContext } from './placeholders';
import { errorMessage } from '../errors';

/** One reading of a PromQL query that should return a single number. */
export interface MetricReading {
  /** The number, when the query returned one (NaN and missing series are "no data"). */
  value?: number;
  /** Why the query could not be answered (endpoint down, bad query, several series). */
  error?: string;
  /** Set by sources that deliberately do not read anything (a dry run without metrics). */
  skipped?: boolean;
}

/** Which guardrail and version a query is for; lets recorded sources answer by name. */
export interface MetricHint {
  guardrail: string;
  version: string;
}

/** Where guardrail measurements come from: Prometheus in production, a recording in dry runs. */
export interface MetricSource {
  queryScalar(promql: string, signal?: AbortSignal, hint?: MetricHint): Promise<MetricReading>;
}

/** Result of one measurement before `failureLimit` and `dryRun` are applied. */
export type MeasurementOutcome = 'pass' | 'fail' | 'inconclusive' | 'skipped';

/** The thresholds a measurement was compared with. */
export interface GuardrailBound {
  min?: number;
  max?: number;
  minRatio?: number;
  maxRatio?: number;
}

/** One guardrail measurement with the evidence the ledger and the side panel show. */
export interface GuardrailMeasurement {
  guardrail: string;
  outcome: MeasurementOutcome;
  /** True when the candidate or the baseline query returned no number. */
  noData: boolean;
  /** The query exactly as sent, placeholders resolved. */
  query: string;
  value?: number;
  baselineQuery?: string;
  baselineValue?: number;
  /** value / baselineValue for relative guardrails (Infinity when the baseline is 0 and the value is not). */
  ratio?: number;
  bound: GuardrailBound;
  /** A sentence saying why the outcome is what it is. */
  reason: string;
  error?: string;
  /** ISO time the measurement was taken. */
  at: string;
  /** A dryRun guardrail is measured and recorded but never decides. */
  dryRun: boolean;
}

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

/** Formats a measured value for messages: up to 4 significant digits, no exponent for usual sizes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  if (value === 0) return '0';
  return Number(value.toPrecision(4)).toString();
}

/**
 * Measures one guardrail once: runs its query for the candidate (and, for `relativeTo:
 * baseline`, the same query for the baseline) and compares with its bounds. Never throws: a
 * failing metric endpoint is "no data", which follows the guardrail's `onNoData`.
 */
export async function measureGuardrail(
  guardrail: Guardrail,
  context: Omit<QueryContext, 'version'>,
  metrics: MetricSource,
  options: { signal?: AbortSignal; now?: () => number } = {},
): Promise<GuardrailMeasurement> {
  const now = options.now ?? Date.now;
  const bound = guardrailBound(guardrail);
  const query = substitutePlaceholders(guardrail.query, { ...context, version: context.candidateVersion });
  const base = { guardrail: guardrail.name, query, bound, dryRun: guardrail.dryRun };
  const reading = await safeRead(metrics, query, options.signal, { guardrail: guardrail.name, version: context.candidateVersion });
  const at = new Date(now()).toISOString();
  if (reading.skipped) {
    return { ...base, outcome: 'skipped', noData: false, reason: 'not measured (nothing to read in this dry run)', at };
  }
  if (!hasNumber(reading)) return noData(guardrail, { ...base, at, ...(reading.error ? { error: reading.error } : {}) }, 'the query returned no data');

  const value = reading.value;
  const absolute = absoluteViolation(value, bound);
  if (guardrail.relativeTo !== 'baseline') {
    return absolute
      ? { ...base, value, at, outcome: 'fail', noData: false, reason: absolute }
      : { ...base, value, at, outcome: 'pass', noData: false, reason: `${formatNumber(value)} is within bounds` };
  }

  const baselineQuery = substitutePlaceholders(guardrail.query, { ...context, version: context.baselineVersion });
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

async function safeRead(metrics: MetricSource, promql: string, signal: AbortSignal | undefined, hint: MetricHint): Promise<MetricReading> {
  try {
    return await metrics.queryScalar(promql, signal, hint);
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

function noData(
  guardrail: Guardrail,
  partial: Omit<GuardrailMeasurement, 'outcome' | 'noData' | 'reason'>,
  why: string,
): GuardrailMeasurement {
  const detail = partial.error ? `${why} (${partial.error})` : why;
  const outcome: MeasurementOutcome = guardrail.onNoData;
  return { ...partial, outcome, noData: true, reason: `${detail}; onNoData: ${guardrail.onNoData}` };
}
