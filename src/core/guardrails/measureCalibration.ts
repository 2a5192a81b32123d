import { guardrailDefaults } from '../plan/guardrailKinds';
import type { Guardrail } from '../plan/schema';
import { expectedCalibrationError, type CalibrationBin } from './calibration';
import { bucketsFromCumulative, parseEdge } from './histogram';
import { formatNumber, noData, safely, type GuardrailMeasurement, type LabelledValue, type MeasureOptions, type MetricSource } from './measurement';
import type { QueryContext } from './placeholders';
import { increaseQuery } from './queries';

/**
 * Measures a calibration guardrail: the candidate's labelled predictions per score bin over
 * `window`, read either from a histogram of scores with an outcome label
 * (`sum by (le, <labelName>) (increase(<histogram>_bucket{selector}[window]))`) or from a counter
 * per bin and outcome (`sum by (<binLabel>, <labelName>) (increase(<counter>{selector}[window]))`),
 * and its expected calibration error against `max`. Scores are probabilities: bins cover [0, 1]
 * and a bin's confidence is its midpoint.
 */
export async function measureCalibration(guardrail: Guardrail, context: Omit<QueryContext, 'version'>, metrics: MetricSource, options: MeasureOptions): Promise<GuardrailMeasurement> {
  const now = options.now ?? Date.now;
  const labelName = guardrail.labelName ?? guardrailDefaults.labelName;
  const positive = guardrail.positive ?? guardrailDefaults.positive;
  const binLabel = guardrail.binLabel ?? guardrailDefaults.binLabel;
  const minSamples = guardrail.minSamples ?? guardrailDefaults.minSamples.calibration;
  const window = guardrail.window ?? guardrailDefaults.window;
  const source: 'counter' | 'histogram' = guardrail.counter !== undefined ? 'counter' : 'histogram';
  const built =
    source === 'counter'
      ? increaseQuery(guardrail.counter!, guardrail, context, context.candidateVersion, [binLabel, labelName])
      : increaseQuery(`${guardrail.histogram ?? ''}_bucket`, guardrail, context, context.candidateVersion, ['le', labelName]);
  const max = guardrail.max;
  const base = { guardrail: guardrail.name, kind: 'calibration' as const, query: 'query' in built ? built.query : '', bound: max !== undefined ? { max } : {}, dryRun: guardrail.dryRun };
  const at = () => new Date(now()).toISOString();
  if (!('query' in built)) return noData(guardrail, { ...base, at: at(), error: built.problem }, 'the calibration query could not be built');
  if (!metrics.queryVector) return noData(guardrail, { ...base, at: at(), error: 'this metric source cannot read per-bin series' }, 'calibration was not measured');
  const reading = await safely(() => metrics.queryVector!(built.query, options.signal, { guardrail: guardrail.name, version: context.candidateVersion }));
  const stamp = at();
  if (reading.skipped) return { ...base, at: stamp, outcome: 'skipped', noData: false, reason: 'not measured (nothing to read in this dry run)' };
  if (reading.error) return noData(guardrail, { ...base, at: stamp, error: reading.error }, 'the calibration query failed');
  const samples = reading.samples ?? [];
  if (samples.length === 0) return noData(guardrail, { ...base, at: stamp }, 'the calibration query returned no series');
  const bins = source === 'counter' ? binsFromCounter(samples, binLabel, labelName, positive) : binsFromHistogram(samples, labelName, positive);
  if (typeof bins === 'string') return noData(guardrail, { ...base, at: stamp, error: bins }, 'the bins cannot be read');
  const result = expectedCalibrationError(bins);
  if ('problem' in result) return noData(guardrail, { ...base, at: stamp }, result.problem);
  const total = formatNumber(Math.round(result.total * 10) / 10);
  if (result.total < minSamples) return noData(guardrail, { ...base, at: stamp }, `${total} labelled predictions in the last ${window}, fewer than minSamples ${minSamples}`);
  const calibration = {
    source,
    window,
    ece: result.ece,
    mce: result.mce,
    total: result.total,
    binConfidence: 'midpoint' as const,
    bins: result.bins.map(({ lower, upper, count, positives, confidence, observed, gap }) => ({ lower, upper, count, positives, confidence, observed, gap })),
    minSamples,
  };
  const measured = { ...base, at: stamp, value: result.ece, noData: false, calibration };
  const detail = `(${total} labelled predictions in ${window}; worst bin gap ${formatNumber(result.mce)})`;
  if (max !== undefined && result.ece > max) return { ...measured, outcome: 'fail', reason: `ECE ${formatNumber(result.ece)} is above max ${formatNumber(max)} ${detail}` };
  return { ...measured, outcome: 'pass', reason: `ECE ${formatNumber(result.ece)} is within max ${max !== undefined ? formatNumber(max) : 'none'} ${detail}` };
}

/** Bins on [0, 1] from upper edges: the first starts at 0; a +Inf bucket ends at 1 (and must be empty when the last edge is 1 or more). */
function binsFromEdges(edges: readonly number[], counts: readonly number[], positives: readonly number[]): CalibrationBin[] | string {
  const bins: CalibrationBin[] = [];
  let lower = 0;
  for (let index = 0; index < edges.length; index++) {
    let upper = edges[index]!;
    const count = counts[index]!;
    if (upper === Infinity) {
      if (lower >= 1) {
        if (count > 0) return `${formatNumber(count)} scores lie above 1; calibration needs probabilities from 0 to 1`;
        continue;
      }
      upper = 1;
    }
    if (upper < 0 || upper > 1) return `bin edge ${upper} is outside [0, 1]; calibration needs scores that are probabilities`;
    if (upper <= lower && count > 0) return `bin edge ${upper} does not rise above ${lower}`;
    if (upper > lower) bins.push({ lower, upper, count, positives: Math.min(count, positives[index]!), confidence: (lower + upper) / 2 });
    lower = upper;
  }
  return bins;
}

function binsFromHistogram(samples: readonly LabelledValue[], labelName: string, positive: string): CalibrationBin[] | string {
  // Sum the outcomes per le for the totals; keep the positive outcome's series for the positives.
  const totals = new Map<string, number>();
  const positives = new Map<string, number>();
  for (const sample of samples) {
    const le = sample.labels.le;
    if (le === undefined) return "a series has no 'le' label";
    if (sample.labels[labelName] === undefined) return `a series has no '${labelName}' label (set labelName to the label that holds the outcome)`;
    const value = Number.isNaN(sample.value) ? 0 : sample.value;
    totals.set(le, (totals.get(le) ?? 0) + value);
    if (sample.labels[labelName] === positive) positives.set(le, (positives.get(le) ?? 0) + value);
  }
  const all = bucketsFromCumulative([...totals].map(([le, value]) => ({ labels: { le }, value })));
  if ('problem' in all) return all.problem;
  const positiveBuckets = bucketsFromCumulative(all.edges.map((le) => ({ labels: { le }, value: positives.get(le) ?? 0 })));
  if ('problem' in positiveBuckets) return positiveBuckets.problem;
  return binsFromEdges(
    all.edges.map((edge) => parseEdge(edge)!),
    all.counts,
    positiveBuckets.counts,
  );
}

function binsFromCounter(samples: readonly LabelledValue[], binLabel: string, labelName: string, positive: string): CalibrationBin[] | string {
  const totals = new Map<number, number>();
  const positives = new Map<number, number>();
  for (const sample of samples) {
    const edge = parseEdge(sample.labels[binLabel]);
    if (edge === undefined) return `a series has no numeric '${binLabel}' label (set binLabel to the label holding each bin's upper edge)`;
    if (sample.labels[labelName] === undefined) return `a series has no '${labelName}' label (set labelName to the label that holds the outcome)`;
    const value = Number.isNaN(sample.value) ? 0 : Math.max(0, sample.value);
    totals.set(edge, (totals.get(edge) ?? 0) + value);
    if (sample.labels[labelName] === positive) positives.set(edge, (positives.get(edge) ?? 0) + value);
  }
  const edges = [...totals.keys()].sort((a, b) => a - b);
  return binsFromEdges(
    edges,
    edges.map((edge) => totals.get(edge)!),
    edges.map((edge) => positives.get(edge) ?? 0),
  );
}
