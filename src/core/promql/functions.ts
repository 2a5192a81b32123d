// The PromQL functions, aggregations and keywords Rollgate knows: their signatures (as Prometheus
// type-checks them: promql/parser/functions.go) and one line of documentation each, for type
// checking, completion and hover.

/** The value types of PromQL, named as Prometheus names them in its error messages. */
export type PromqlType = 'scalar' | 'instant vector' | 'range vector' | 'string';

export interface PromqlFunction {
  name: string;
  argTypes: readonly PromqlType[];
  /** 0: exactly `argTypes`; n > 0: the last argument may be left out or repeated up to n times; -1: repeated without limit. */
  variadic: number;
  returns: PromqlType;
  /** Prometheus refuses it unless started with `--enable-feature=promql-experimental-functions`. */
  experimental?: boolean;
  /** Reads samples over a window: its range argument is a rate window (see the short-window check). */
  window?: 'counter' | 'gauge';
  summary: string;
}

const S: PromqlType = 'scalar';
const V: PromqlType = 'instant vector';
const M: PromqlType = 'range vector';
const T: PromqlType = 'string';

type Row = [name: string, argTypes: PromqlType[], returns: PromqlType, summary: string, extra?: Partial<PromqlFunction>];

const rows: Row[] = [
  ['abs', [V], V, 'Absolute value of every sample.'],
  ['absent', [V], V, '1 when the vector has no elements, empty otherwise: alerts on a missing series.'],
  ['absent_over_time', [M], V, '1 when the range has no samples, empty otherwise.'],
  ['acos', [V], V, 'Arccosine of every sample (radians).'],
  ['acosh', [V], V, 'Inverse hyperbolic cosine of every sample.'],
  ['asin', [V], V, 'Arcsine of every sample (radians).'],
  ['asinh', [V], V, 'Inverse hyperbolic sine of every sample.'],
  ['atan', [V], V, 'Arctangent of every sample (radians).'],
  ['atanh', [V], V, 'Inverse hyperbolic tangent of every sample.'],
  ['avg_over_time', [M], V, 'Average of the samples in the range.', { window: 'gauge' }],
  ['ceil', [V], V, 'Rounds every sample up to the nearest integer.'],
  ['changes', [M], V, 'How often the value changed within the range.', { window: 'gauge' }],
  ['clamp', [V, S, S], V, 'Clamps every sample between a minimum and a maximum.'],
  ['clamp_max', [V, S], V, 'Clamps every sample to an upper bound.'],
  ['clamp_min', [V, S], V, 'Clamps every sample to a lower bound.'],
  ['cos', [V], V, 'Cosine of every sample (radians).'],
  ['cosh', [V], V, 'Hyperbolic cosine of every sample.'],
  ['count_over_time', [M], V, 'Number of samples in the range.', { window: 'gauge' }],
  ['day_of_month', [V], V, 'Day of the month (1–31) of each timestamp, UTC.', { variadic: 1 }],
  ['day_of_week', [V], V, 'Day of the week (0 = Sunday) of each timestamp, UTC.', { variadic: 1 }],
  ['day_of_year', [V], V, 'Day of the year (1–366) of each timestamp, UTC.', { variadic: 1 }],
  ['days_in_month', [V], V, 'Number of days in the month of each timestamp, UTC.', { variadic: 1 }],
  ['deg', [V], V, 'Converts radians to degrees.'],
  ['delta', [M], V, 'Difference between the first and last value of a gauge in the range.', { window: 'gauge' }],
  ['deriv', [M], V, 'Per-second derivative of a gauge (simple linear regression).', { window: 'gauge' }],
  ['double_exponential_smoothing', [M, S, S], V, 'Smoothed value of a gauge (smoothing factor, trend factor).', { experimental: true, window: 'gauge' }],
  ['end', [], S, 'The end time of the query evaluation, in seconds.', { experimental: true }],
  ['exp', [V], V, 'Exponential function of every sample.'],
  ['first_over_time', [M], V, 'Oldest sample in the range.', { experimental: true, window: 'gauge' }],
  ['floor', [V], V, 'Rounds every sample down to the nearest integer.'],
  ['histogram_avg', [V], V, 'Arithmetic average of observed values in a native histogram.'],
  ['histogram_count', [V], V, 'Count of observations in a native histogram.'],
  ['histogram_fraction', [S, S, V], V, 'Estimated fraction of observations between two values.'],
  ['histogram_quantile', [S, V], V, 'φ-quantile (0 ≤ φ ≤ 1) from the buckets of a histogram: aggregate `by (le)` first.'],
  ['histogram_quantiles', [V, T, S, S], V, 'Several quantiles of a histogram at once, one series per quantile label value.', { experimental: true, variadic: 9 }],
  ['histogram_stddev', [V], V, 'Estimated standard deviation of observations in a native histogram.'],
  ['histogram_stdvar', [V], V, 'Estimated standard variance of observations in a native histogram.'],
  ['histogram_sum', [V], V, 'Sum of observations in a native histogram.'],
  ['hour', [V], V, 'Hour of the day (0–23) of each timestamp, UTC.', { variadic: 1 }],
  ['idelta', [M], V, 'Difference between the last two samples of a gauge in the range.', { window: 'gauge' }],
  ['increase', [M], V, 'Increase of a counter over the range, extrapolated to its whole length.', { window: 'counter' }],
  ['info', [V, V], V, 'Adds labels of info metrics to the series of the first argument.', { experimental: true, variadic: 1 }],
  ['irate', [M], V, 'Per-second rate of a counter from its last two samples in the range.', { window: 'counter' }],
  ['label_join', [V, T, T, T], V, 'Joins the values of source labels into a destination label.', { variadic: -1 }],
  ['label_replace', [V, T, T, T, T], V, 'Sets a label from a regular expression over another label.'],
  ['last_over_time', [M], V, 'Most recent sample in the range.', { window: 'gauge' }],
  ['ln', [V], V, 'Natural logarithm of every sample.'],
  ['log10', [V], V, 'Decimal logarithm of every sample.'],
  ['log2', [V], V, 'Binary logarithm of every sample.'],
  ['mad_over_time', [M], V, 'Median absolute deviation of the samples in the range.', { experimental: true, window: 'gauge' }],
  ['max_over_time', [M], V, 'Largest sample in the range.', { window: 'gauge' }],
  ['min_over_time', [M], V, 'Smallest sample in the range.', { window: 'gauge' }],
  ['minute', [V], V, 'Minute of the hour (0–59) of each timestamp, UTC.', { variadic: 1 }],
  ['month', [V], V, 'Month of the year (1–12) of each timestamp, UTC.', { variadic: 1 }],
  ['pi', [], S, 'The number π.'],
  ['predict_linear', [M, S], V, 'Value of a gauge the given number of seconds from now, by linear regression.', { window: 'gauge' }],
  ['present_over_time', [M], V, '1 for every series with a sample in the range.', { window: 'gauge' }],
  ['quantile_over_time', [S, M], V, 'φ-quantile of the samples in the range.', { window: 'gauge' }],
  ['rad', [V], V, 'Converts degrees to radians.'],
  ['range', [], S, 'The range of the query evaluation, in seconds.', { experimental: true }],
  ['rate', [M], V, 'Per-second average rate of increase of a counter over the range.', { window: 'counter' }],
  ['resets', [M], V, 'Number of counter resets within the range.', { window: 'counter' }],
  ['round', [V, S], V, 'Rounds every sample to the nearest multiple of the optional second argument (default 1).', { variadic: 1 }],
  ['scalar', [V], S, 'The value of a one-element vector as a scalar; NaN when it has 0 or several elements.'],
  ['sgn', [V], V, 'Sign of every sample: 1, 0 or -1.'],
  ['sin', [V], V, 'Sine of every sample (radians).'],
  ['sinh', [V], V, 'Hyperbolic sine of every sample.'],
  ['sort', [V], V, 'Sorts by sample value, ascending (instant queries only).'],
  ['sort_by_label', [V, T], V, 'Sorts by the values of the given labels, ascending.', { experimental: true, variadic: -1 }],
  ['sort_by_label_desc', [V, T], V, 'Sorts by the values of the given labels, descending.', { experimental: true, variadic: -1 }],
  ['sort_desc', [V], V, 'Sorts by sample value, descending (instant queries only).'],
  ['sqrt', [V], V, 'Square root of every sample.'],
  ['start', [], S, 'The start time of the query evaluation, in seconds.', { experimental: true }],
  ['step', [], S, 'The step of the query evaluation, in seconds.', { experimental: true }],
  ['stddev_over_time', [M], V, 'Population standard deviation of the samples in the range.', { window: 'gauge' }],
  ['stdvar_over_time', [M], V, 'Population standard variance of the samples in the range.', { window: 'gauge' }],
  ['sum_over_time', [M], V, 'Sum of the samples in the range.', { window: 'gauge' }],
  ['tan', [V], V, 'Tangent of every sample (radians).'],
  ['tanh', [V], V, 'Hyperbolic tangent of every sample.'],
  ['time', [], S, 'Seconds since the Unix epoch at the evaluation time.'],
  ['timestamp', [V], V, 'Timestamp of every sample, in seconds.'],
  ['ts_of_first_over_time', [M], V, 'Timestamp of the oldest sample in the range.', { experimental: true, window: 'gauge' }],
  ['ts_of_last_over_time', [M], V, 'Timestamp of the most recent sample in the range.', { experimental: true, window: 'gauge' }],
  ['ts_of_max_over_time', [M], V, 'Timestamp of the largest sample in the range.', { experimental: true, window: 'gauge' }],
  ['ts_of_min_over_time', [M], V, 'Timestamp of the smallest sample in the range.', { experimental: true, window: 'gauge' }],
  ['vector', [S], V, 'The scalar as a vector with one element and no labels.'],
  ['year', [V], V, 'Year of each timestamp, UTC.', { variadic: 1 }],
];

/** Every function by name. */
export const PROMQL_FUNCTIONS: ReadonlyMap<string, PromqlFunction> = new Map(rows.map(([name, argTypes, returns, summary, extra]) => [name, { name, argTypes, returns, summary, variadic: 0, ...extra }]));

export interface PromqlAggregation {
  name: string;
  /** The type of the parameter before the vector (topk's k, quantile's φ, count_values' label). */
  parameter?: PromqlType;
  experimental?: boolean;
  summary: string;
}

/** Aggregation operators: `sum(...)`, `topk(5, ...)`, with optional `by`/`without`. */
export const PROMQL_AGGREGATIONS: ReadonlyMap<string, PromqlAggregation> = new Map(
  (
    [
      ['sum', undefined, 'Sum over dimensions.'],
      ['avg', undefined, 'Average over dimensions.'],
      ['count', undefined, 'Number of elements in the vector.'],
      ['min', undefined, 'Minimum over dimensions.'],
      ['max', undefined, 'Maximum over dimensions.'],
      ['group', undefined, 'All values in the result are 1.'],
      ['stddev', undefined, 'Population standard deviation over dimensions.'],
      ['stdvar', undefined, 'Population standard variance over dimensions.'],
      ['topk', S, 'Largest k elements by sample value.'],
      ['bottomk', S, 'Smallest k elements by sample value.'],
      ['quantile', S, 'φ-quantile (0 ≤ φ ≤ 1) over dimensions.'],
      ['count_values', T, 'Number of elements with the same value, in a label of the given name.'],
      ['limitk', S, 'Samples k elements.', true],
      ['limit_ratio', S, 'Samples a pseudo-random ratio of elements.', true],
    ] as Array<[string, PromqlType | undefined, string, boolean?]>
  ).map(([name, parameter, summary, experimental]) => [name, { name, summary, ...(parameter ? { parameter } : {}), ...(experimental ? { experimental } : {}) }]),
);

/** Binary and modifier keywords offered by completion. */
export const PROMQL_KEYWORDS = ['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2'] as const;
