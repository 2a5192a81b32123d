/**
 * What the side panel draws for the ML guardrail kinds and judged stages, as plain data built
 * from a measurement's evidence, plus the geometry the webview turns into inline SVG. No DOM:
 * the host builds these, the webview (src/webview/guardrailVisuals.ts) draws them.
 */
import type { GuardrailMeasurement } from '../guardrails/measurement';

/** A drift guardrail: both distributions bucket by bucket, and the value against its bound. */
export interface DriftVisual {
  kind: 'drift';
  method: string;
  value: number;
  max: number;
  /** Bucket upper edges as Prometheus writes `le`. */
  buckets: string[];
  baselineShares: number[];
  candidateShares: number[];
}

/** A compare guardrail: both sample series of the bake and the test's p-value. */
export interface CompareVisual {
  kind: 'compare';
  pValue: number;
  alpha: number;
  /** Relative change of the median; null when the baseline median is 0 and the candidate's is not. */
  effectSize: number | null;
  tolerance: number;
  direction: string;
  baselineSamples: number[];
  candidateSamples: number[];
}

/** A calibration guardrail: observed rate against confidence per bin. */
export interface CalibrationVisual {
  kind: 'calibration';
  ece: number;
  max?: number;
  bins: { lower: number; upper: number; count: number; observed: number; confidence: number }[];
}

export type GuardrailVisual = DriftVisual | CompareVisual | CalibrationVisual;

/** A judged stage's latest score against its thresholds. */
export interface JudgeVisual {
  score?: number;
  pass: number;
  marginal: number;
  verdict: 'pass' | 'marginal' | 'fail' | 'inconclusive';
  reason: string;
}

/** The visual of a measurement, when its kind has one and it carries the numbers. */
export function guardrailVisual(measurement: GuardrailMeasurement | undefined): GuardrailVisual | undefined {
  if (!measurement || measurement.noData) return undefined;
  if (measurement.drift && measurement.value !== undefined && measurement.bound.max !== undefined) {
    const { method, buckets, baselineShares, candidateShares } = measurement.drift;
    return { kind: 'drift', method, value: measurement.value, max: measurement.bound.max, buckets, baselineShares, candidateShares };
  }
  if (measurement.compare) {
    const { pValue, alpha, effectSize, tolerance, direction, baselineSamples, candidateSamples } = measurement.compare;
    return { kind: 'compare', pValue, alpha, effectSize, tolerance, direction, baselineSamples, candidateSamples };
  }
  if (measurement.calibration) {
    const { ece, bins } = measurement.calibration;
    return {
      kind: 'calibration',
      ece,
      ...(measurement.bound.max !== undefined ? { max: measurement.bound.max } : {}),
      bins: bins.map(({ lower, upper, count, observed, confidence }) => ({ lower, upper, count, observed, confidence })),
    };
  }
  return undefined;
}

/** A rectangle in SVG user units. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Side-by-side bars, two per bucket (baseline then candidate), scaled so the tallest share
 * fills `height`. Shares that are not finite draw as zero-height bars.
 */
export function pairedBars(baseline: readonly number[], candidate: readonly number[], width: number, height: number): { baseline: Rect[]; candidate: Rect[] } {
  const count = Math.max(baseline.length, candidate.length);
  const finite = (value: number | undefined) => (value !== undefined && Number.isFinite(value) && value > 0 ? value : 0);
  const top = Math.max(1e-12, ...baseline.map(finite), ...candidate.map(finite));
  const slot = count > 0 ? width / count : width;
  const gap = Math.min(2, slot * 0.15);
  const bar = Math.max(0.5, (slot - gap) / 2);
  const rect = (share: number, index: number, offset: number): Rect => {
    const barHeight = (finite(share) / top) * height;
    return { x: index * slot + gap / 2 + offset * bar, y: height - barHeight, width: bar, height: barHeight };
  };
  return {
    baseline: Array.from({ length: count }, (_, index) => rect(baseline[index] ?? 0, index, 0)),
    candidate: Array.from({ length: count }, (_, index) => rect(candidate[index] ?? 0, index, 1)),
  };
}

/** Where a value and its bound sit on a gauge `width` wide whose scale ends a little past both. */
export function gauge(value: number, bound: number, width: number): { valueX: number; boundX: number; scaleEnd: number } {
  const safe = (number: number) => (Number.isFinite(number) && number > 0 ? number : 0);
  const scaleEnd = Math.max(safe(value), safe(bound)) * 1.25 || 1;
  return { valueX: (safe(value) / scaleEnd) * width, boundX: (safe(bound) / scaleEnd) * width, scaleEnd };
}

/** Two series on one shared y scale, as SVG polyline points; non-finite samples are skipped. */
export function sharedSeries(first: readonly number[], second: readonly number[], width: number, height: number): [string, string] {
  const values = [...first, ...second].filter(Number.isFinite);
  const low = values.length > 0 ? Math.min(...values) : 0;
  const high = values.length > 0 ? Math.max(...values) : 1;
  const span = high - low || 1;
  const points = (series: readonly number[]) => {
    const step = series.length > 1 ? width / (series.length - 1) : 0;
    return series
      .map((value, index) => (Number.isFinite(value) ? `${(index * step).toFixed(1)},${(height - ((value - low) / span) * height).toFixed(1)}` : undefined))
      .filter((point): point is string => point !== undefined)
      .join(' ');
  };
  return [points(first), points(second)];
}
