import type { MetricReading, RangeReading, VectorReading } from './measurement';

/**
 * One recorded answer in a dry run's `--metrics` file, by what the guardrail kind asks:
 * - a number, or null for no data: a threshold's value;
 * - `{ "buckets": { "0.1": 12, …, "+Inf": 80 } }`: cumulative histogram buckets (drift);
 * - `{ "series": [{ "labels": { "le": "0.5", "label": "1" }, "value": 7 }, …] }`: any vector (calibration);
 * - `{ "samples": [0.011, 0.012, …] }`: a compare guardrail's samples over the bake.
 */
export type RecordedAnswer = number | null | { buckets: Record<string, number> } | { series: { labels: Record<string, string>; value: number }[] } | { samples: (number | null)[] };

/** Why `value` is not a recorded answer, or undefined when it is one. */
export function recordedAnswerProblem(value: unknown): string | undefined {
  if (value === null || typeof value === 'number') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return 'expected a number, null, or an object with "buckets", "series" or "samples"';
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== 1) return 'an object answer has exactly one of "buckets", "series" or "samples"';
  if ('buckets' in record) {
    const buckets = record.buckets;
    if (typeof buckets !== 'object' || buckets === null || Array.isArray(buckets) || !Object.values(buckets).every((count) => typeof count === 'number')) {
      return '"buckets" maps each le ("0.1", …, "+Inf") to a cumulative count';
    }
    return undefined;
  }
  if ('series' in record) {
    const series = record.series;
    const valid =
      Array.isArray(series) &&
      series.every(
        (item: unknown) =>
          typeof item === 'object' &&
          item !== null &&
          typeof (item as { value?: unknown }).value === 'number' &&
          typeof (item as { labels?: unknown }).labels === 'object' &&
          (item as { labels?: unknown }).labels !== null &&
          Object.values((item as { labels: object }).labels).every((label) => typeof label === 'string'),
      );
    return valid ? undefined : '"series" is a list of { "labels": { name: "value" }, "value": number }';
  }
  if ('samples' in record) {
    const samples = record.samples;
    return Array.isArray(samples) && samples.every((sample) => sample === null || typeof sample === 'number') ? undefined : '"samples" is a list of numbers (null for a gap)';
  }
  return `unknown answer "${keys[0]}"; use "buckets", "series" or "samples"`;
}

/** The answer as a threshold reads it. */
export function recordedScalar(answer: RecordedAnswer | undefined): MetricReading {
  if (answer === undefined) return { skipped: true };
  if (answer === null) return {};
  if (typeof answer === 'number') return { value: answer };
  return { error: 'the recording holds buckets, series or samples here, but this guardrail reads one number' };
}

/** The answer as drift and calibration read it. */
export function recordedVector(answer: RecordedAnswer | undefined): VectorReading {
  if (answer === undefined) return { skipped: true };
  if (answer === null) return { samples: [] };
  if (typeof answer === 'object' && 'buckets' in answer) return { samples: Object.entries(answer.buckets).map(([le, value]) => ({ labels: { le }, value })) };
  if (typeof answer === 'object' && 'series' in answer) return { samples: answer.series.map((item) => ({ labels: { ...item.labels }, value: item.value })) };
  return { error: 'the recording holds a number or samples here, but this guardrail reads buckets or series' };
}

/** The answer as compare reads it: one series of samples, a step apart. */
export function recordedRange(answer: RecordedAnswer | undefined, start: number, stepSeconds: number): RangeReading {
  if (answer === undefined) return { skipped: true };
  if (answer === null) return { series: [] };
  if (typeof answer === 'object' && 'samples' in answer) {
    return { series: [{ labels: {}, points: answer.samples.map((value, index) => ({ time: start + index * stepSeconds, value: value ?? Number.NaN })) }] };
  }
  return { error: 'the recording holds a number or buckets here, but a compare guardrail reads samples' };
}
