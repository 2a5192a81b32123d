import { guardrailDefaults, type CompareDirection } from '../plan/guardrailKinds';
import { parseDuration, type Guardrail } from '../plan/schema';
import { mannWhitneyU, type MannWhitneyAlternative } from './mannWhitney';
import { formatNumber, noData, safely, type CompareEvidence, type GuardrailMeasurement, type MeasureOptions, type MetricSource, type RangeReading } from './measurement';
import { substitutePlaceholders, type QueryContext } from './placeholders';

/** Samples per version kept as evidence (the most recent); the test itself uses all of them. */
export const MAX_EVIDENCE_SAMPLES = 240;

const ALTERNATIVE: Record<CompareDirection, MannWhitneyAlternative> = { increase: 'greater', decrease: 'less', either: 'two-sided' };

/**
 * Measures a compare guardrail: the samples of `query` for the candidate and the baseline over
 * the bake so far (a range query at the guardrail's interval, limited to the last `window`),
 * tested with Mann–Whitney U. The guardrail fails when the test finds the bad `direction` at
 * `confidence` and the medians differ by more than `tolerance`; it passes otherwise.
 * Fewer than `minSamples` samples per version is no data, or "collecting" while the bake runs.
 */
export async function measureCompare(guardrail: Guardrail, context: Omit<QueryContext, 'version'>, metrics: MetricSource, options: MeasureOptions): Promise<GuardrailMeasurement> {
  const now = options.now ?? Date.now;
  const confidence = guardrail.confidence ?? guardrailDefaults.confidence;
  const direction = guardrail.direction ?? guardrailDefaults.direction;
  const tolerance = guardrail.tolerance ?? guardrailDefaults.tolerance;
  const minSamples = guardrail.minSamples ?? guardrailDefaults.minSamples.compare;
  const stepSeconds = Math.max(0.001, (parseDuration(guardrail.interval) ?? 30_000) / 1000);
  const endMs = now();
  const windowMs = parseDuration(guardrail.window ?? '') ?? undefined;
  const startMs = options.bakeStartedAt !== undefined ? Math.max(options.bakeStartedAt, windowMs !== undefined ? endMs - windowMs : -Infinity) : endMs - (windowMs ?? parseDuration(guardrailDefaults.compareWindow)!);
  const range = { start: Math.min(startMs, endMs) / 1000, end: endMs / 1000, stepSeconds };
  const query = substitutePlaceholders(guardrail.query ?? '', { ...context, version: context.candidateVersion });
  const baselineQuery = substitutePlaceholders(guardrail.query ?? '', { ...context, version: context.baselineVersion });
  const alpha = 1 - confidence;
  const base = { guardrail: guardrail.name, kind: 'compare' as const, query, baselineQuery, bound: {}, dryRun: guardrail.dryRun };
  const at = new Date(endMs).toISOString();
  if (!metrics.queryRange) return noData(guardrail, { ...base, at, error: 'this metric source cannot run range queries' }, 'compare was not measured');
  const read = (promql: string, version: string) => safely(() => metrics.queryRange!(promql, range, options.signal, { guardrail: guardrail.name, version }));
  const [candidateReading, baselineReading] = await Promise.all([read(query, context.candidateVersion), read(baselineQuery, context.baselineVersion)]);
  if (candidateReading.skipped || baselineReading.skipped) return { ...base, at, outcome: 'skipped', noData: false, reason: 'not measured (nothing to read in this dry run)' };
  const candidate = samplesOf(candidateReading, 'candidate');
  const baseline = samplesOf(baselineReading, 'baseline');
  if (typeof candidate === 'string' || typeof baseline === 'string') return noData(guardrail, { ...base, at }, typeof candidate === 'string' ? candidate : (baseline as string));
  if (candidate.length < minSamples || baseline.length < minSamples) {
    const counts = `${candidate.length} candidate and ${baseline.length} baseline samples`;
    if (options.collecting) return { ...base, at, outcome: 'skipped', noData: false, collecting: true, reason: `collecting samples: ${counts} so far, minSamples ${minSamples}` };
    return noData(guardrail, { ...base, at }, `${counts}, fewer than minSamples ${minSamples}`);
  }

  const test = mannWhitneyU(candidate, baseline, { alternative: ALTERNATIVE[direction] });
  const candidateMedian = median(candidate);
  const baselineMedian = median(baseline);
  const effect = relativeChange(candidateMedian, baselineMedian);
  const compare: CompareEvidence = {
    test: 'mann-whitney-u',
    alternative: ALTERNATIVE[direction],
    direction,
    confidence,
    alpha,
    u: test.u,
    pValue: test.pValue,
    method: test.method,
    ties: test.ties,
    ...(test.z !== undefined && Number.isFinite(test.z) ? { z: test.z } : {}),
    effectSize: Number.isFinite(effect) ? effect : null,
    tolerance,
    candidateMedian,
    baselineMedian,
    candidateCount: candidate.length,
    baselineCount: baseline.length,
    candidateSamples: candidate.slice(-MAX_EVIDENCE_SAMPLES),
    baselineSamples: baseline.slice(-MAX_EVIDENCE_SAMPLES),
    samplesTruncated: candidate.length > MAX_EVIDENCE_SAMPLES || baseline.length > MAX_EVIDENCE_SAMPLES,
    from: new Date(range.start * 1000).toISOString(),
    to: at,
    stepSeconds,
    minSamples,
  };
  const measured = { ...base, at, value: test.pValue, noData: false, compare };
  const change = `median ${formatChange(effect)} (${formatNumber(candidateMedian)} vs ${formatNumber(baselineMedian)})`;
  const stats = `p ${formatNumber(test.pValue)}, U ${formatNumber(test.u)}, ${candidate.length} vs ${baseline.length} samples`;
  const what = direction === 'either' ? 'difference' : direction;
  if (Number.isNaN(test.pValue) || test.pValue >= alpha) {
    return { ...measured, outcome: 'pass', reason: `no significant ${what} at ${formatNumber(confidence * 100)}% confidence (${stats}; ${change})` };
  }
  const bad = direction === 'increase' ? effect > tolerance : direction === 'decrease' ? effect < -tolerance : Math.abs(effect) > tolerance;
  if (!bad) {
    return { ...measured, outcome: 'pass', reason: `significant ${what} (${stats}) but ${change} is within tolerance ${formatNumber(tolerance * 100)}%` };
  }
  return { ...measured, outcome: 'fail', reason: `significant ${what} at ${formatNumber(confidence * 100)}% confidence: ${change}, beyond tolerance ${formatNumber(tolerance * 100)}% (${stats})` };
}

/** The one series' finite-or-infinite values (NaN dropped), or why there are none to use. */
function samplesOf(reading: RangeReading, who: string): number[] | string {
  if (reading.error) return `the ${who} query failed: ${reading.error}`;
  const series = reading.series ?? [];
  if (series.length === 0) return `the ${who} query returned no samples`;
  if (series.length > 1) return `the ${who} query returned ${series.length} series; a compare query must return one (aggregate it, e.g. with sum(...))`;
  return series[0]!.points.map((point) => point.value).filter((value) => !Number.isNaN(value));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** (candidate − baseline) / |baseline|; 0 when both are 0, ±Infinity when only the baseline is. */
function relativeChange(candidate: number, baseline: number): number {
  if (baseline === 0) return candidate === 0 ? 0 : candidate > 0 ? Infinity : -Infinity;
  return (candidate - baseline) / Math.abs(baseline);
}

function formatChange(effect: number): string {
  if (!Number.isFinite(effect)) return effect > 0 ? 'up from 0' : 'down from 0';
  return `${effect >= 0 ? '+' : ''}${formatNumber(effect * 100)}%`;
}
