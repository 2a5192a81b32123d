import { errorMessage } from '../errors';
import type { PrometheusClient } from '../endpoints/prometheus';
import type { QueryRange, RangeReading, VectorReading } from './measurement';

/**
 * An instant query's whole vector, for drift and calibration buckets. A scalar answer is a
 * one-sample vector without labels; any other result type is an error that says what came back.
 */
export async function readVector(client: PrometheusClient, promql: string, signal?: AbortSignal): Promise<VectorReading> {
  try {
    const { result } = await client.query(promql, undefined, signal ? { signal } : {});
    if (result.resultType === 'vector') return { samples: result.samples.map((sample) => ({ labels: sample.metric, value: sample.value })) };
    if (result.resultType === 'scalar') return { samples: [{ labels: {}, value: result.value }] };
    return { error: `the query returned a ${result.resultType}; a bucket query must return an instant vector` };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** A range query's series, for a compare guardrail's samples. */
export async function readRange(client: PrometheusClient, promql: string, range: QueryRange, signal?: AbortSignal): Promise<RangeReading> {
  try {
    const { result } = await client.queryRange(promql, range.start, range.end, range.stepSeconds, signal ? { signal } : {});
    if (result.resultType !== 'matrix') return { error: `the range query returned a ${result.resultType}, not a matrix` };
    return { series: result.series.map((series) => ({ labels: series.metric, points: series.points.map((point) => ({ time: point.time, value: point.value })) })) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}
