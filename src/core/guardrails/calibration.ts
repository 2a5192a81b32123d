/** One bin of labelled predictions. */
export interface CalibrationBin {
  /** Bin edges on the score axis. */
  lower: number;
  upper: number;
  /** Labelled predictions whose score fell in the bin. */
  count: number;
  /** Of those, how many had the positive label (or were correct, for confidence calibration). */
  positives: number;
  /** The predicted probability the bin stands for: the mean score in it, or its midpoint when only counts are known. */
  confidence: number;
}

/** A bin with what ECE made of it. */
export interface CalibrationBinResult extends CalibrationBin {
  /** positives / count: the observed rate. */
  observed: number;
  /** |observed − confidence|. */
  gap: number;
  /** count / N. */
  weight: number;
}

export interface CalibrationResult {
  /** Expected calibration error, from 0 (calibrated) to 1. */
  ece: number;
  /** Maximum calibration error: the largest gap of a non-empty bin. */
  mce: number;
  /** Labelled predictions in all bins. */
  total: number;
  bins: CalibrationBinResult[];
}

/**
 * Expected calibration error (Guo et al., "On Calibration of Modern Neural Networks", 2017):
 *
 *   ECE = Σ_b (n_b / N) · |acc(b) − conf(b)|
 *
 * where n_b is the number of labelled predictions in bin b, N their total, acc(b) the observed
 * rate of positives in the bin and conf(b) the probability the bin stands for. Empty bins add 0
 * and are left out of MCE. Returns `{ problem }` when there is nothing to measure.
 */
export function expectedCalibrationError(bins: readonly CalibrationBin[]): CalibrationResult | { problem: string } {
  for (const bin of bins) {
    if (!Number.isFinite(bin.count) || !Number.isFinite(bin.positives) || bin.count < 0 || bin.positives < 0) {
      return { problem: 'bin counts must be finite and not negative' };
    }
    if (bin.positives > bin.count * (1 + 1e-9)) return { problem: `bin up to ${bin.upper} has more positives (${bin.positives}) than predictions (${bin.count})` };
  }
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  if (total <= 0) return { problem: 'there are no labelled predictions' };
  let ece = 0;
  let mce = 0;
  const results = bins.map((bin) => {
    const observed = bin.count > 0 ? Math.min(1, bin.positives / bin.count) : 0;
    const gap = bin.count > 0 ? Math.abs(observed - bin.confidence) : 0;
    const weight = bin.count / total;
    ece += weight * gap;
    if (bin.count > 0) mce = Math.max(mce, gap);
    return { ...bin, observed, gap, weight };
  });
  return { ece, mce, total, bins: results };
}
