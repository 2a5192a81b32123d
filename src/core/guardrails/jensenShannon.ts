import { bucketProblem, proportions, type BucketCounts } from './distribution';

export interface JensenShannonResult {
  /** The divergence in bits (log base 2), from 0 (same distribution) to 1 (no bucket in common). */
  value: number;
  baseline: number[];
  candidate: number[];
}

/**
 * Jensen–Shannon divergence of the candidate's bucket shares c from the baseline's b:
 *
 *   JS = ½ KL(b ‖ m) + ½ KL(c ‖ m),  m = ½ (b + c),  KL(p ‖ m) = Σᵢ pᵢ · log₂(pᵢ / mᵢ)
 *
 * in bits (log base 2), so 0 ≤ JS ≤ 1. Empty buckets need no smoothing: mᵢ > 0 wherever pᵢ > 0,
 * and a term with pᵢ = 0 is 0 (the limit of p log p). Its square root is the Jensen–Shannon
 * distance that SciPy's `scipy.spatial.distance.jensenshannon(b, c, base=2)` returns.
 */
export function jensenShannonDivergence(baselineCounts: BucketCounts, candidateCounts: BucketCounts): JensenShannonResult | { problem: string } {
  const problem = bucketProblem(baselineCounts, candidateCounts);
  if (problem) return { problem };
  const b = proportions(baselineCounts);
  const c = proportions(candidateCounts);
  let total = 0;
  for (let index = 0; index < b.length; index++) {
    const bi = b[index]!;
    const ci = c[index]!;
    const mi = (bi + ci) / 2;
    if (bi > 0) total += bi * Math.log2(bi / mi);
    if (ci > 0) total += ci * Math.log2(ci / mi);
  }
  // Rounding can leave a tiny negative number for identical distributions.
  return { value: Math.min(1, Math.max(0, total / 2)), baseline: b, candidate: c };
}
