import type { LabelledValue } from './measurement';

/** Bucket counts of one histogram over a window, bucket by bucket. */
export interface Buckets {
  /** Upper edges as Prometheus writes `le`, ascending; the last is `+Inf`. */
  edges: string[];
  /** Observations per bucket (not cumulative). */
  counts: number[];
  /** All observations: the `+Inf` bucket's cumulative count. */
  total: number;
}

/** `le` as a number: `+Inf` and `Inf` are Infinity; undefined when it is not a number. */
export function parseEdge(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

/**
 * Per-bucket counts from the cumulative `_bucket` series of an instant vector (one series per
 * `le`, as `sum by (le) (increase(h_bucket[w]))` returns). Each bucket's count is its cumulative
 * count minus the one below it. `increase` extrapolates each `le` series on its own, so a
 * difference can come out slightly negative; it is taken as 0. NaN counts (no samples in the
 * window) count as 0.
 */
export function bucketsFromCumulative(samples: readonly LabelledValue[], edgeLabel = 'le'): Buckets | { problem: string } {
  const byEdge = new Map<number, { text: string; value: number }>();
  for (const sample of samples) {
    const text = sample.labels[edgeLabel];
    const edge = parseEdge(text);
    if (edge === undefined) return { problem: `a series has no numeric '${edgeLabel}' label (labels: ${JSON.stringify(sample.labels)})` };
    if (byEdge.has(edge)) return { problem: `two series share ${edgeLabel}="${text}"; aggregate the histogram by ${edgeLabel} only` };
    byEdge.set(edge, { text: text!, value: Number.isNaN(sample.value) ? 0 : sample.value });
  }
  const sorted = [...byEdge.entries()].sort(([a], [b]) => a - b);
  if (sorted.length === 0) return { problem: 'no bucket series' };
  if (sorted[sorted.length - 1]![0] !== Infinity) return { problem: `the histogram has no ${edgeLabel}="+Inf" bucket, so its total is unknown` };
  const counts: number[] = [];
  let below = 0;
  for (const [, { value }] of sorted) {
    counts.push(Math.max(0, value - below));
    below = Math.max(below, value);
  }
  return { edges: sorted.map(([, { text }]) => text), counts, total: below };
}

/** True when two bucket layouts have the same edges (compared as numbers: `1` and `1.0` agree). */
export function sameEdges(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((edge, index) => parseEdge(edge) === parseEdge(b[index]));
}
