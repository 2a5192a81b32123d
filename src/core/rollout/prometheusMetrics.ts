import { errorMessage } from '../errors';
import type { PrometheusClient } from '../endpoints/prometheus';
import type { MetricReading, MetricSource, QueryRange, RangeReading, VectorReading } from '../guardrails/evaluate';
import { readRange, readVector } from '../guardrails/prometheusReadings';

/**
 * The engine's {@link MetricSource} over the real {@link PrometheusClient}: an instant query
 * that must return a scalar or exactly one series. No series (or NaN) is "no data"; several
 * series are an error that says how to fix the query. Drift and calibration read whole vectors,
 * compare reads range series.
 */
export class PrometheusMetrics implements MetricSource {
  constructor(private readonly client: PrometheusClient) {}

  async queryScalar(promql: string, signal?: AbortSignal): Promise<MetricReading> {
    let response;
    try {
      response = await this.client.query(promql, undefined, signal ? { signal } : {});
    } catch (error) {
      return { error: errorMessage(error) };
    }
    const result = response.result;
    switch (result.resultType) {
      case 'scalar':
        return Number.isNaN(result.value) ? {} : { value: result.value };
      case 'vector': {
        if (result.samples.length === 0) return {};
        if (result.samples.length > 1) {
          return { error: `the query returned ${result.samples.length} series; a guardrail query must return one number (aggregate it, e.g. with sum(...))` };
        }
        const value = result.samples[0]!.value;
        return Number.isNaN(value) ? {} : { value };
      }
      default:
        return { error: `the query returned a ${result.resultType}; a guardrail query must return one number` };
    }
  }

  queryVector(promql: string, signal?: AbortSignal): Promise<VectorReading> {
    return readVector(this.client, promql, signal);
  }

  queryRange(promql: string, range: QueryRange, signal?: AbortSignal): Promise<RangeReading> {
    return readRange(this.client, promql, range, signal);
  }
}
