// The ML guardrail kinds in a report: what a drift, compare or calibration measurement's number
// is, the rule it is judged by, a one-line note per measurement, and the numbers behind the one
// that decided (bucket shares, the test's figures, calibration bins) as a plain table both
// renderers show. Everything is read from the ledger entry's `details.measurements[i]`, checked.
import { formatValue } from './text';
import { numberOf, objectOf, stringOf } from '../ledger/fields';
import type { EvidenceTable, GuardrailBoundText } from './types';

export type MlKind = 'drift' | 'compare' | 'calibration';

export function mlKindOf(extra: Record<string, unknown> | undefined): MlKind | undefined {
  const kind = stringOf(extra?.kind);
  return kind === 'drift' || kind === 'compare' || kind === 'calibration' ? kind : undefined;
}

const numbers = (value: unknown): number[] => (Array.isArray(value) ? value.map((item) => (typeof item === 'number' ? item : Number(item))) : []);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map((item) => String(item)) : []);
const percent = (share: number) => (Number.isFinite(share) ? `${formatValue(share * 100)} %` : String(share));
const num = (value: unknown) => {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isNaN(parsed) ? (typeof value === 'string' ? value : '') : formatValue(parsed);
};

/** What the series' number is, for its heading: `PSI`, `p-value (Mann–Whitney U)`, `ECE`. */
export function measuresOf(kind: MlKind, extra: Record<string, unknown>): string {
  switch (kind) {
    case 'drift': {
      const method = stringOf(objectOf(extra.drift)?.method);
      return method === 'js' ? 'Jensen–Shannon distance, candidate against baseline score distribution' : 'PSI, candidate against baseline score distribution';
    }
    case 'compare':
      return 'p-value of the Mann–Whitney U test, candidate against baseline samples';
    case 'calibration':
      return 'expected calibration error (ECE)';
  }
}

/**
 * The rule a kind is judged by, when the bound alone would mislead: a compare guardrail fails
 * when the p-value is below alpha AND the median moved beyond the tolerance. The chart draws alpha
 * as the line the p-value must stay above.
 */
export function compareRule(extra: Record<string, unknown>): { text: string; bound: GuardrailBoundText } | undefined {
  const compare = objectOf(extra.compare);
  const alpha = numberOf(compare?.alpha);
  if (!compare || alpha === undefined) return undefined;
  const tolerance = numberOf(compare.tolerance);
  const direction = stringOf(compare.direction) ?? 'either';
  const moved = tolerance !== undefined ? ` and the median moved more than ${percent(tolerance)} (${direction})` : '';
  return { text: `fails when p < ${formatValue(alpha)} (confidence ${num(compare.confidence)})${moved}`, bound: { min: alpha } };
}

/** One line beside a measurement: sample sizes, medians and effect, the worst calibration gap. */
export function mlNote(kind: MlKind, extra: Record<string, unknown>): string | undefined {
  if (kind === 'drift') {
    const drift = objectOf(extra.drift);
    if (!drift) return undefined;
    return `${num(drift.candidateTotal)} candidate / ${num(drift.baselineTotal)} baseline scores over ${stringOf(drift.window) ?? '?'}${drift.smoothed === true ? ', smoothed' : ''}`;
  }
  if (kind === 'compare') {
    const compare = objectOf(extra.compare);
    if (!compare) return undefined;
    const effect = compare.effectSize === null ? 'n/a' : percent(numberOf(compare.effectSize) ?? Number.NaN);
    return `median ${num(compare.candidateMedian)} vs ${num(compare.baselineMedian)} (effect ${effect}), n = ${num(compare.candidateCount)} / ${num(compare.baselineCount)}`;
  }
  const calibration = objectOf(extra.calibration);
  if (!calibration) return undefined;
  return `MCE ${num(calibration.mce)}, ${num(calibration.total)} labelled scores over ${stringOf(calibration.window) ?? '?'}`;
}

/** The numbers behind one measurement, as a table. */
export function evidenceTable(kind: MlKind, extra: Record<string, unknown>, time: string): EvidenceTable | undefined {
  if (kind === 'drift') {
    const drift = objectOf(extra.drift);
    const buckets = strings(drift?.buckets);
    if (!drift || buckets.length === 0) return undefined;
    const baseline = numbers(drift.baselineShares);
    const candidate = numbers(drift.candidateShares);
    const baselineCounts = numbers(drift.baselineCounts);
    const candidateCounts = numbers(drift.candidateCounts);
    return {
      caption: `Score distribution at ${time} (bucket upper edge le)`,
      header: ['le', 'Baseline share', 'Candidate share', 'Baseline count', 'Candidate count'],
      rows: buckets.map((le, index) => [le, percent(baseline[index] ?? Number.NaN), percent(candidate[index] ?? Number.NaN), num(baselineCounts[index]), num(candidateCounts[index])]),
    };
  }
  if (kind === 'compare') {
    const compare = objectOf(extra.compare);
    if (!compare) return undefined;
    const rows: string[][] = [
      ['Test', `Mann–Whitney U (${stringOf(compare.alternative) ?? '?'}, ${stringOf(compare.method) ?? '?'}${compare.ties === true ? ', ties' : ''})`],
      ['U', num(compare.u)],
      ['p-value', num(compare.pValue)],
      ['alpha', num(compare.alpha)],
      ['Median candidate / baseline', `${num(compare.candidateMedian)} / ${num(compare.baselineMedian)}`],
      ['Effect (median change) / tolerance', `${compare.effectSize === null ? 'n/a' : percent(numberOf(compare.effectSize) ?? Number.NaN)} / ${percent(numberOf(compare.tolerance) ?? Number.NaN)}`],
      ['Samples candidate / baseline', `${num(compare.candidateCount)} / ${num(compare.baselineCount)}${compare.samplesTruncated === true ? ' (evidence keeps the newest)' : ''}`],
      ['Range', `${stringOf(compare.from) ?? '?'} to ${stringOf(compare.to) ?? '?'}, step ${num(compare.stepSeconds)} s`],
    ];
    return { caption: `Statistical comparison at ${time}`, header: ['', ''], rows };
  }
  const calibration = objectOf(extra.calibration);
  const bins = Array.isArray(calibration?.bins) ? calibration.bins : [];
  if (!calibration || bins.length === 0) return undefined;
  return {
    caption: `Calibration bins at ${time} (${stringOf(calibration.source) ?? '?'}; confidence is the bin's midpoint)`,
    header: ['Bin', 'Confidence', 'Observed rate', 'Gap', 'Count'],
    rows: bins.map((bin) => {
      const item = objectOf(bin) ?? {};
      return [`${num(item.lower)}–${num(item.upper)}`, num(item.confidence), num(item.observed), num(item.gap), num(item.count)];
    }),
  };
}
