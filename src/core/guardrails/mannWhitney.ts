import { normalSf } from './normal';

/**
 * Which difference the test looks for, in SciPy's terms: `greater` asks whether `x` tends to be
 * larger than `y`, `less` whether it tends to be smaller, `two-sided` whether either holds.
 */
export type MannWhitneyAlternative = 'two-sided' | 'less' | 'greater';

/** How the p-value is found: `auto` picks `exact` or `asymptotic` as SciPy's `method='auto'` does. */
export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

export interface MannWhitneyOptions {
  alternative?: MannWhitneyAlternative;
  method?: MannWhitneyMethod;
  /** Continuity correction of the normal approximation (SciPy's `use_continuity`). Default true. */
  continuity?: boolean;
}

export interface MannWhitneyResult {
  /** U of the first sample: the number of pairs (xᵢ, yⱼ) with xᵢ > yⱼ, ties counting one half. */
  u: number;
  pValue: number;
  /** The method actually used. */
  method: 'exact' | 'asymptotic';
  /** Sizes of `x` and `y`. */
  n1: number;
  n2: number;
  /** True when some values occur more than once in the pooled samples. */
  ties: boolean;
  /** The standardised statistic of the normal approximation (asymptotic method only). */
  z?: number;
}

/** Above this size of both samples `auto` uses the normal approximation (SciPy's threshold). */
const EXACT_THRESHOLD = 8;

/**
 * Average ranks (1-based) of `values` and the sizes of its groups of ties.
 * Sorting makes this O(n log n).
 */
export function averageRanks(values: readonly number[]): { ranks: Float64Array; tieSizes: number[] } {
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Float64Array(values.length);
  const tieSizes: number[] = [];
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    // Positions start..end-1 share the mean of ranks start+1..end.
    const rank = (start + 1 + end) / 2;
    for (let index = start; index < end; index++) ranks[order[index]!] = rank;
    if (end - start > 1) tieSizes.push(end - start);
    start = end;
  }
  return { ranks, tieSizes };
}

/**
 * The Mann–Whitney U test of two independent samples, computed the way SciPy's
 * `scipy.stats.mannwhitneyu` computes it (and checked against its published test values):
 *
 * - U₁ = R₁ − n₁(n₁+1)/2 with R₁ the sum of `x`'s average ranks in the pooled sample; U₂ = n₁n₂ − U₁.
 * - `greater` uses U₁, `less` uses U₂, `two-sided` uses max(U₁, U₂) and doubles the tail.
 * - `exact`: P(U ≥ u) from the null distribution of U without ties (u truncated to an integer).
 * - `asymptotic`: z = (u − n₁n₂/2 − ½) / σ with the tie-corrected
 *   σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))), and the normal tail P(Z ≥ z).
 * - `auto`: `exact` when either sample has at most 8 values and there are no ties, else `asymptotic`.
 * - p is clipped to [0, 1].
 *
 * Throws a RangeError for an empty sample or a NaN value (callers filter those first).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const continuity = options.continuity ?? true;
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann–Whitney U needs at least one value in each sample');
  const pooled = [...x, ...y];
  if (pooled.some(Number.isNaN)) throw new RangeError('Mann–Whitney U samples must not contain NaN');

  const { ranks, tieSizes } = averageRanks(pooled);
  let rankSum = 0;
  for (let index = 0; index < n1; index++) rankSum += ranks[index]!;
  const u1 = rankSum - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const [u, factor] = alternative === 'greater' ? [u1, 1] : alternative === 'less' ? [u2, 1] : [Math.max(u1, u2), 2];
  const ties = tieSizes.length > 0;

  let method = options.method ?? 'auto';
  if (method === 'auto') method = (n1 > EXACT_THRESHOLD && n2 > EXACT_THRESHOLD) || ties ? 'asymptotic' : 'exact';

  if (method === 'exact') {
    const p = exactSurvival(Math.trunc(u), Math.min(n1, n2), Math.max(n1, n2)) * factor;
    return { u: u1, pValue: clip(p), method, n1, n2, ties };
  }
  const n = n1 + n2;
  const tieTerm = tieSizes.reduce((sum, t) => sum + (t * t * t - t), 0);
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const numerator = u - (n1 * n2) / 2 - (continuity ? 0.5 : 0);
  // σ = 0 (every value equal) gives ±Infinity or NaN here, as in SciPy.
  const z = numerator / sigma;
  return { u: u1, pValue: clip(normalSf(z) * factor), method, n1, n2, ties, z };
}

function clip(p: number): number {
  return Number.isNaN(p) ? p : Math.min(1, Math.max(0, p));
}

/** Null distributions already computed, by `m,n`; small, since `exact` is for small samples. */
const distributionCache = new Map<string, bigint[]>();
const MAX_CACHED = 32;

/**
 * The number of arrangements of m and n values (no ties) for each U = 0 … mn: the coefficients
 * of the Gaussian binomial [m+n choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i), built one
 * factor pair at a time in exact integers (each partial product is itself a polynomial).
 */
export function exactUCounts(m: number, n: number): bigint[] {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const key = `${small},${large}`;
  const cached = distributionCache.get(key);
  if (cached) return cached;
  const degree = small * large;
  const coefficients: bigint[] = new Array<bigint>(degree + 1).fill(0n);
  coefficients[0] = 1n;
  let current = 0;
  for (let i = 1; i <= small; i++) {
    // Multiply by (1 − q^(large+i)), highest degree first so each term is read before it changes.
    const shift = large + i;
    current += large;
    for (let k = current; k >= shift; k--) coefficients[k]! -= coefficients[k - shift]!;
    // Divide by (1 − q^i): a running sum with stride i.
    for (let k = i; k <= current; k++) coefficients[k]! += coefficients[k - i]!;
  }
  if (distributionCache.size >= MAX_CACHED) distributionCache.delete(distributionCache.keys().next().value as string);
  distributionCache.set(key, coefficients);
  return coefficients;
}

/** P(U ≥ k) under the null hypothesis for samples of sizes m and n without ties. */
export function exactSurvival(k: number, m: number, n: number): number {
  const counts = exactUCounts(m, n);
  if (k <= 0) return 1;
  if (k > m * n) return 0;
  let total = 0n;
  let tail = 0n;
  for (let index = 0; index < counts.length; index++) {
    total += counts[index]!;
    if (index >= k) tail += counts[index]!;
  }
  return bigRatio(tail, total);
}

/** a / b as a double, also when both exceed the range of a double. */
function bigRatio(a: bigint, b: bigint): number {
  const excess = b.toString(2).length - 1000;
  const shift = BigInt(Math.max(0, excess));
  return Number(a >> shift) / Number(b >> shift);
}
