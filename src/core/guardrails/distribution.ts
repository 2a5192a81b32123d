/** Counts per bucket of one version's histogram, bucket by bucket in the same order as another's. */
export type BucketCounts = readonly number[];

/** Why two bucket lists cannot be compared, or undefined when they can. */
export function bucketProblem(baseline: BucketCounts, candidate: BucketCounts): string | undefined {
  if (baseline.length !== candidate.length) return `the two distributions have ${baseline.length} and ${candidate.length} buckets; they must have the same buckets`;
  if (baseline.length === 0) return 'there are no buckets to compare';
  for (const counts of [baseline, candidate]) {
    if (counts.some((count) => !Number.isFinite(count) || count < 0)) return 'bucket counts must be finite and not negative';
  }
  if (sum(baseline) === 0 || sum(candidate) === 0) return 'one of the distributions has no observations';
  return undefined;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Counts divided by their total. */
export function proportions(counts: BucketCounts): number[] {
  const total = sum(counts);
  return counts.map((count) => count / total);
}
