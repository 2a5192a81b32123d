/** HAProxy accepts absolute server weights from 0 to 256 (`set weight`). */
export const MAX_WEIGHT = 256;

/** Decimal places a share may have; beyond that a percentage is not one a person wrote. */
const MAX_DECIMALS = 6;

export type WeightPlan<K extends string> = { weights: Record<K, number> } | { problem: string };

/**
 * Whole-number HAProxy weights that split traffic in exactly the given percentages (which must
 * sum to 100): `weight = percent` when the percentages are whole numbers (41: 90, 42: 10),
 * otherwise the smallest whole multiple of them, otherwise their smallest whole ratio
 * (2.5 / 97.5 -> 5 / 195). A split no whole weights up to 256 express exactly (33.33 / 66.67)
 * gets a `problem` instead: it is refused, never rounded.
 */
export function weightsForShares<K extends string>(shares: Record<K, number>): WeightPlan<K> {
  const entries = Object.entries(shares) as [K, number][];
  for (const [key, share] of entries) {
    if (!Number.isFinite(share) || share < 0 || share > 100) return { problem: `the share of ${key} is ${share}%; a share is a percentage from 0 to 100` };
  }
  const total = entries.reduce((sum, [, share]) => sum + share, 0);
  if (Math.abs(total - 100) > 1e-9) return { problem: `the shares add up to ${round(total)}%, not 100% (${entries.map(([key, share]) => `${key}=${share}%`).join(' ')})` };

  // Exact integers: each share times 10^decimals.
  const decimals = Math.max(0, ...entries.map(([, share]) => decimalPlaces(share)));
  if (decimals > MAX_DECIMALS) return { problem: notExact(entries) };
  const scale = 10 ** decimals;
  const scaled = entries.map(([key, share]) => [key, Math.round(share * scale)] as const);

  // weight = percent x k for the smallest whole k that makes every weight whole.
  const gcdAll = scaled.reduce((g, [, value]) => gcd(g, value), 0);
  const k = scale / gcd(scale, gcdAll);
  if (100 * k <= MAX_WEIGHT) return { weights: Object.fromEntries(scaled.map(([key, value]) => [key, (value * k) / scale])) as Record<K, number> };

  // The smallest whole ratio.
  const reduced = scaled.map(([key, value]) => [key, value / gcdAll] as const);
  if (reduced.every(([, value]) => value <= MAX_WEIGHT)) return { weights: Object.fromEntries(reduced) as Record<K, number> };
  return { problem: notExact(entries) };
}

/**
 * The percentages of traffic the weights send to each key: weight x 100 / total (all 0 when the
 * total is 0: HAProxy then answers every request with 503).
 */
export function sharesFromWeights<K extends string>(weights: Record<K, number>): Record<K, number> {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  return Object.fromEntries(entries.map(([key, weight]) => [key, total === 0 ? 0 : round((weight * 100) / total)])) as Record<K, number>;
}

function notExact(entries: [string, number][]): string {
  return `whole HAProxy weights from 0 to ${MAX_WEIGHT} cannot split traffic exactly as ${entries.map(([key, share]) => `${key}=${share}%`).join(' ')}; use whole percentages or halves (e.g. 2.5)`;
}

function decimalPlaces(value: number): number {
  if (Number.isInteger(value)) return 0;
  const text = String(value);
  if (text.includes('e')) return MAX_DECIMALS + 1;
  return text.length - text.indexOf('.') - 1;
}

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
}

/** Removes floating-point noise (33.333333333333336 -> 33.333333333). */
function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
