import { errorMessage } from '../errors';
import type { CompareDirection, DriftMethod, GuardrailKind } from '../plan/guardrailKinds';
import type { Guardrail } from '../plan/schema';
import type { MannWhitneyAlternative } from './mannWhitney';

/** One reading of a PromQL query that should return a single number. */
export interface MetricReading {
  /** The number, when the query returned one (NaN and missing series are "no data"). */
  value?: number;
  /** Why the query could not be answered (endpoint down, bad query, several series). */
  error?: string;
  /** Set by sources that deliberately do not read anything (a dry run without metrics). */
  skipped?: boolean;
}

/** One series of an instant query: its labels and value. */
export interface LabelledValue {
  labels: Record<string, string>;
  value: number;
}

/** An instant query's whole vector (for histogram buckets). */
export interface VectorReading {
  samples?: LabelledValue[];
  error?: string;
  skipped?: boolean;
}

/** A range query's series (for a compare guardrail's samples); times are Unix seconds. */
export interface RangeReading {
  series?: { labels: Record<string, string>; points: { time: number; value: number }[] }[];
  error?: string;
  skipped?: boolean;
}

/** A range query's window: Unix seconds and a step in seconds. */
export interface QueryRange {
  start: number;
  end: number;
  stepSeconds: number;
}

/** Which guardrail and version a query is for; lets recorded sources answer by name. */
export interface MetricHint {
  guardrail: string;
  version: string;
}

/**
 * Where guardrail measurements come from: Prometheus in production, a recording in dry runs.
 * `queryVector` (drift, calibration) and `queryRange` (compare) are optional: a source without
 * them cannot measure those kinds, and says so in the measurement.
 */
export interface MetricSource {
  queryScalar(promql: string, signal?: AbortSignal, hint?: MetricHint): Promise<MetricReading>;
  queryVector?(promql: string, signal?: AbortSignal, hint?: MetricHint): Promise<VectorReading>;
  queryRange?(promql: string, range: QueryRange, signal?: AbortSignal, hint?: MetricHint): Promise<RangeReading>;
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

/** A drift guardrail's numbers: both distributions bucket by bucket. */
export interface DriftEvidence {
  method: DriftMethod;
  window: string;
  /** The buckets' upper edges, as Prometheus writes `le` (`0.1`, …, `+Inf`). */
  buckets: string[];
  /** Observations per bucket in the window (from `increase`, so not always whole numbers). */
  baselineCounts: number[];
  candidateCounts: number[];
  /** The shares the value was computed from (after PSI's smoothing, when it applied). */
  baselineShares: number[];
  candidateShares: number[];
  baselineTotal: number;
  candidateTotal: number;
  minSamples: number;
  /** PSI only: true when the 0.5 pseudo-count was added (a bucket empty in one version). */
  smoothed?: boolean;
  /** PSI only: what PSI reads between two samples of one distribution of these sizes, on average. */
  noiseFloor?: number;
}

/** A compare guardrail's numbers: the Mann–Whitney U test and both sample series. */
export interface CompareEvidence {
  test: 'mann-whitney-u';
  alternative: MannWhitneyAlternative;
  direction: CompareDirection;
  confidence: number;
  /** 1 − confidence: a difference counts when the p-value is below it. */
  alpha: number;
  u: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  ties: boolean;
  z?: number;
  /** Relative change of the median, candidate against baseline (0.1 = 10 % higher); null when the baseline median is 0 and the candidate's is not. */
  effectSize: number | null;
  tolerance: number;
  candidateMedian: number;
  baselineMedian: number;
  candidateCount: number;
  baselineCount: number;
  /** The samples tested (the most recent ones when there were more than can be kept as evidence). */
  candidateSamples: number[];
  baselineSamples: number[];
  samplesTruncated: boolean;
  /** The range queried: ISO times and the step. */
  from: string;
  to: string;
  stepSeconds: number;
  minSamples: number;
}

/** One bin of a calibration guardrail. */
export interface CalibrationEvidenceBin {
  lower: number;
  upper: number;
  count: number;
  positives: number;
  confidence: number;
  observed: number;
  gap: number;
}

/** A calibration guardrail's numbers. */
export interface CalibrationEvidence {
  source: 'histogram' | 'counter';
  window: string;
  ece: number;
  mce: number;
  total: number;
  /** How a bin's confidence was found: its midpoint, since bucket counts do not say where in the bin the scores fell. */
  binConfidence: 'midpoint';
  bins: CalibrationEvidenceBin[];
  minSamples: number;
}

/** One guardrail measurement with the evidence the ledger and the side panel show. */
export interface GuardrailMeasurement {
  guardrail: string;
  /** The guardrail's kind; absent in records made before kinds existed (they are thresholds). */
  kind?: GuardrailKind;
  outcome: MeasurementOutcome;
  /** True when the candidate or the baseline query returned no number. */
  noData: boolean;
  /** The query exactly as sent, placeholders resolved. */
  query: string;
  /** threshold: the query's number; drift: the PSI or JS value; compare: the p-value; calibration: the ECE. */
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
  /** A compare guardrail still collecting samples while the bake runs (outcome `skipped`). */
  collecting?: boolean;
  drift?: DriftEvidence;
  compare?: CompareEvidence;
  calibration?: CalibrationEvidence;
}

/** What a kind's measure function gets besides the guardrail and the source. */
export interface MeasureOptions {
  signal?: AbortSignal;
  now?: () => number;
  /** When the current stage's bake started (ms since the epoch): a compare guardrail tests the samples since then. */
  bakeStartedAt?: number;
  /** True while the bake is still running: a compare guardrail with too few samples then keeps collecting instead of reporting no data. */
  collecting?: boolean;
}

/** Formats a measured value for messages: up to 4 significant digits, no exponent for usual sizes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  if (value === 0) return '0';
  return Number(value.toPrecision(4)).toString();
}

/** A measurement with no number: its outcome is the guardrail's `onNoData`. */
export function noData(guardrail: Guardrail, partial: Omit<GuardrailMeasurement, 'outcome' | 'noData' | 'reason'>, why: string): GuardrailMeasurement {
  const detail = partial.error ? `${why} (${partial.error})` : why;
  return { ...partial, outcome: guardrail.onNoData, noData: true, reason: `${detail}; onNoData: ${guardrail.onNoData}` };
}

/** Runs a read and turns a throw into an error reading, so a measurement never throws. */
export async function safely<T extends { error?: string }>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    return { error: errorMessage(error) } as T;
  }
}
