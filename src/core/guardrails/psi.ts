import { bucketProblem, proportions, type BucketCounts } from './distribution';

/** The pseudo-count PSI adds to both versions' counts when a bucket is empty in exactly one of them. */
export const PSI_PSEUDO_COUNT = 0.5;

export interface PsiOptions {
  /** Added to every bucket's count in both distributions when smoothing is needed; 0 turns smoothing off. */
  pseudoCount?: number;
}

export interface PsiResult {
  value: number;
  /** Proportions after smoothing, as used in the sum. */
  baseline: number[];
  candidate: number[];
  /** True when the pseudo-count was added. */
  smoothed: boolean;
}

/**
 * Population stability index of the candidate's bucket counts against the baseline's:
 *
 *   PSI = Σᵢ (cᵢ − bᵢ) · ln(cᵢ / bᵢ)
 *
 * with bᵢ, cᵢ the shares of bucket i and the natural logarithm. It is the symmetric
 * (Jeffreys) divergence KL(c‖b) + KL(b‖c), so it is ≥ 0 and symmetric in the two versions.
 * Buckets empty in both are dropped (they add 0). A bucket empty in only one version would make
 * the sum infinite; then every remaining bucket of both versions gets `pseudoCount` (0.5, the
 * Jeffreys prior) added before shares are taken, which keeps the value finite and still lets an
 * empty bucket weigh in proportion to the sample sizes. Returns `{ problem }` when the counts cannot be
 * compared.
 */
export function populationStabilityIndex(baselineCounts: BucketCounts, candidateCounts: BucketCounts, options: PsiOptions = {}): PsiResult | { problem: string } {
  const problem = bucketProblem(baselineCounts, candidateCounts);
  if (problem) return { problem };
  const pseudoCount = options.pseudoCount ?? PSI_PSEUDO_COUNT;
  const kept = baselineCounts.map((count, index) => count > 0 || candidateCounts[index]! > 0);
  let baseline = baselineCounts.filter((_, index) => kept[index]);
  let candidate = candidateCounts.filter((_, index) => kept[index]);
  const smoothed = pseudoCount > 0 && baseline.some((count, index) => count === 0 || candidate[index] === 0);
  if (smoothed) {
    baseline = baseline.map((count) => count + pseudoCount);
    candidate = candidate.map((count) => count + pseudoCount);
  }
  const b = proportions(baseline);
  const c = proportions(candidate);
  let value = 0;
  for (let index = 0; index < b.length; index++) {
    const bi = b[index]!;
    const ci = c[index]!;
    if (bi === ci) continue;
    value += (ci - bi) * Math.log(ci / bi);
  }
  return { value, baseline: b, candidate: c, smoothed };
}

/**
 * What PSI reads between two samples of one distribution, on average: (k − 1)(1/n + 1/m) for k
 * buckets and sample sizes n and m (under no drift, PSI/(1/n + 1/m) is about χ² with k − 1
 * degrees of freedom). Shown beside a measured PSI so a reader can tell drift from noise.
 */
export function psiNoiseFloor(buckets: number, baselineTotal: number, candidateTotal: number): number {
  if (buckets < 2 || baselineTotal <= 0 || candidateTotal <= 0) return 0;
  return (buckets - 1) * (1 / baselineTotal + 1 / candidateTotal);
}
