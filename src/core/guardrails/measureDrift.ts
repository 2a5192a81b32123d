import { guardrailDefaults } from '../plan/guardrailKinds';
import type { Guardrail } from '../plan/schema';
import { bucketsFromCumulative, sameEdges, type Buckets } from './histogram';
import { jensenShannonDivergence } from './jensenShannon';
import { formatNumber, noData, safely, type DriftEvidence, type GuardrailMeasurement, type MeasureOptions, type MetricSource } from './measurement';
import type { QueryContext } from './placeholders';
import { populationStabilityIndex, psiNoiseFloor } from './psi';
import { increaseQuery } from './queries';

/**
 * Measures a drift guardrail: the candidate's and the baseline's bucket counts of `histogram`
 * over `window` (`sum by (le) (increase(<histogram>_bucket{selector}[window]))`, one query per
 * version), compared with PSI or Jensen–Shannon against `max`. Fewer than `minSamples`
 * observations in either version is no data.
 */
export async function measureDrift(guardrail: Guardrail, context: Omit<QueryContext, 'version'>, metrics: MetricSource, options: MeasureOptions): Promise<GuardrailMeasurement> {
  const now = options.now ?? Date.now;
  const method = guardrail.method ?? guardrailDefaults.driftMethod;
  const max = guardrail.max ?? guardrailDefaults.driftMax[method];
  const minSamples = guardrail.minSamples ?? guardrailDefaults.minSamples.drift;
  const window = guardrail.window ?? guardrailDefaults.window;
  const series = `${guardrail.histogram ?? ''}_bucket`;
  const candidate = increaseQuery(series, guardrail, context, context.candidateVersion, ['le']);
  const baseline = increaseQuery(series, guardrail, context, context.baselineVersion, ['le']);
  const base = {
    guardrail: guardrail.name,
    kind: 'drift' as const,
    query: 'query' in candidate ? candidate.query : '',
    ...('query' in baseline ? { baselineQuery: baseline.query } : {}),
    bound: { max },
    dryRun: guardrail.dryRun,
  };
  const at = () => new Date(now()).toISOString();
  if (!('query' in candidate) || !('query' in baseline)) {
    return noData(guardrail, { ...base, at: at(), error: 'problem' in candidate ? candidate.problem : (baseline as { problem: string }).problem }, 'the drift query could not be built');
  }
  if (!metrics.queryVector) return noData(guardrail, { ...base, at: at(), error: 'this metric source cannot read histogram buckets' }, 'drift was not measured');
  const read = (query: string, version: string) => safely(() => metrics.queryVector!(query, options.signal, { guardrail: guardrail.name, version }));
  const [candidateReading, baselineReading] = await Promise.all([read(candidate.query, context.candidateVersion), read(baseline.query, context.baselineVersion)]);
  const stamp = at();
  if (candidateReading.skipped || baselineReading.skipped) {
    return { ...base, at: stamp, outcome: 'skipped', noData: false, reason: 'not measured (nothing to read in this dry run)' };
  }
  const buckets = (reading: typeof candidateReading, who: string): Buckets | string => {
    if (reading.error) return `the ${who} query failed: ${reading.error}`;
    const samples = reading.samples ?? [];
    if (samples.length === 0) return `the ${who} query returned no buckets`;
    const parsed = bucketsFromCumulative(samples);
    return 'problem' in parsed ? `the ${who} buckets cannot be read: ${parsed.problem}` : parsed;
  };
  const c = buckets(candidateReading, 'candidate');
  const b = buckets(baselineReading, 'baseline');
  if (typeof c === 'string' || typeof b === 'string') return noData(guardrail, { ...base, at: stamp }, typeof c === 'string' ? c : (b as string));
  if (!sameEdges(c.edges, b.edges)) {
    return noData(guardrail, { ...base, at: stamp, error: `candidate buckets ${c.edges.join(',')} differ from baseline buckets ${b.edges.join(',')}` }, 'the two versions have different buckets');
  }
  const counts = (total: number) => formatNumber(Math.round(total * 10) / 10);
  const partial = { baselineCounts: b.counts, candidateCounts: c.counts, baselineTotal: b.total, candidateTotal: c.total, buckets: c.edges, method, window, minSamples };
  if (c.total < minSamples || b.total < minSamples) {
    const short = c.total < minSamples ? `the candidate has ${counts(c.total)}` : `the baseline has ${counts(b.total)}`;
    return noData(guardrail, { ...base, at: stamp }, `${short} observations in the last ${window}, fewer than minSamples ${minSamples}`);
  }
  const result = method === 'psi' ? populationStabilityIndex(b.counts, c.counts) : jensenShannonDivergence(b.counts, c.counts);
  if ('problem' in result) return noData(guardrail, { ...base, at: stamp, error: result.problem }, `${method} could not be computed`);
  const drift: DriftEvidence = { ...partial, baselineShares: result.baseline, candidateShares: result.candidate };
  if (method === 'psi') {
    drift.smoothed = (result as ReturnType<typeof populationStabilityIndex> & { smoothed: boolean }).smoothed;
    drift.noiseFloor = psiNoiseFloor(result.baseline.length, b.total, c.total);
  }
  const name = method === 'psi' ? 'PSI' : 'JS divergence';
  const noise = drift.noiseFloor !== undefined ? `; noise floor ≈ ${formatNumber(drift.noiseFloor)}` : '';
  const sizes = ` (${counts(c.total)} candidate vs ${counts(b.total)} baseline observations in ${window}${noise})`;
  const measured = { ...base, at: stamp, value: result.value, noData: false, drift };
  return result.value > max
    ? { ...measured, outcome: 'fail', reason: `${name} ${formatNumber(result.value)} is above max ${formatNumber(max)}${sizes}` }
    : { ...measured, outcome: 'pass', reason: `${name} ${formatNumber(result.value)} is within max ${formatNumber(max)}${sizes}` };
}
