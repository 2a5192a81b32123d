// The Prometheus client against a real Prometheus (started by the dev stack): every result type
// decoded to plain data, and Prometheus' own error answers surfaced clearly.
import { describe, expect, it } from 'vitest';

import { decodePromResult, parsePromSampleValue, type PromResult } from '../../../src/core/endpoints/index';
import { useDevStack } from '../../support/devStack';
import { rejection } from '../../support/rejection';

const dev = useDevStack({ requestsPerSecond: 20 });

describe('PrometheusClient against a real Prometheus', () => {
  it('decodes an instant vector with labels and numeric values', async () => {
    const { prometheus } = dev();
    const before = Date.now() / 1000;
    const { result, warnings } = await prometheus.query('rollgate_dev_requests_total{version="41",code="200"}');
    expect(warnings).toEqual([]);
    expect(result.resultType).toBe('vector');
    if (result.resultType !== 'vector') return;
    expect(result.samples).toHaveLength(1);
    const sample = result.samples[0];
    expect(sample?.metric).toMatchObject({ __name__: 'rollgate_dev_requests_total', version: '41', code: '200', job: 'rollgate-dev' });
    expect(typeof sample?.value).toBe('number');
    expect(sample?.time).toBeGreaterThan(before - 5);
  });

  it('evaluates at a given time', async () => {
    const { prometheus } = dev();
    const at = new Date(Date.now() - 500);
    const { result } = await prometheus.query('time()', at);
    expect(result).toEqual({ resultType: 'scalar', time: at.getTime() / 1000, value: at.getTime() / 1000 });
  });

  it('decodes a range query into a matrix of points', async () => {
    const { prometheus } = dev();
    const end = Date.now() / 1000;
    const { result } = await prometheus.queryRange('up{job="rollgate-dev"}', end - 10, end, '1s');
    expect(result.resultType).toBe('matrix');
    if (result.resultType !== 'matrix') return;
    expect(result.series).toHaveLength(1);
    const points = result.series[0]?.points ?? [];
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((point) => point.value === 1 && point.time >= end - 10 && point.time <= end)).toBe(true);
  });

  it('decodes scalar and string results, including infinities and NaN', async () => {
    const { prometheus } = dev();
    expect((await prometheus.query('scalar(vector(0.25))')).result).toMatchObject({ resultType: 'scalar', value: 0.25 });
    expect((await prometheus.query('1/0')).result).toMatchObject({ resultType: 'scalar', value: Number.POSITIVE_INFINITY });
    expect((await prometheus.query('-1/0')).result).toMatchObject({ resultType: 'scalar', value: Number.NEGATIVE_INFINITY });
    const nan = (await prometheus.query('0/0')).result as Extract<PromResult, { resultType: 'scalar' }>;
    expect(Number.isNaN(nan.value)).toBe(true);
    expect((await prometheus.query('"rollback drill"')).result).toMatchObject({ resultType: 'string', value: 'rollback drill' });
  });

  it('a query with no matching series is an empty vector, not an error', async () => {
    const { prometheus } = dev();
    expect((await prometheus.query('rollgate_dev_requests_total{version="none"}')).result).toEqual({ resultType: 'vector', samples: [] });
  });

  it('a PromQL syntax error surfaces as a prometheus error with its errorType', async () => {
    const { prometheus, stack } = dev();
    const error = await rejection(prometheus.query('sum(rate(rollgate_dev_requests_total[1m])'));
    expect(error.kind).toBe('prometheus');
    expect(error.endpoint).toBe('metrics');
    expect(error.code).toBe('bad_data');
    expect(error.status).toBe(400);
    expect(error.attempts).toBe(1);
    expect(error.message).toMatch(new RegExp(`^Prometheus at ${stack.prometheusUrl?.replace(/\./g, '\\.')} rejected the query \\(bad_data\\): .*parse error`));
    expect(error.message).toContain('Query: sum(rate(rollgate_dev_requests_total[1m])');
  });

  it('a bad range step is reported the same way', async () => {
    const { prometheus } = dev();
    const end = Date.now() / 1000;
    const error = await rejection(prometheus.queryRange('up', end - 60, end, 'often'));
    expect(error).toMatchObject({ kind: 'prometheus', code: 'bad_data', status: 400 });
  });

  it('long queries go in a form body and still work', async () => {
    const { prometheus } = dev();
    const long = Array.from({ length: 200 }, (_, index) => `vector(${index})`).join(' + ');
    expect(long.length).toBeGreaterThan(2000);
    const { result } = await prometheus.query(long);
    expect(result.resultType === 'vector' && result.samples[0]?.value).toBe((199 * 200) / 2);
  });
});

describe('decoding helpers', () => {
  it('parses Prometheus sample strings', () => {
    expect(parsePromSampleValue('1.5e-3')).toBe(0.0015);
    expect(parsePromSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parsePromSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(parsePromSampleValue('NaN'))).toBe(true);
    expect(() => parsePromSampleValue('fast')).toThrow('sample value "fast" is not a number');
    expect(() => parsePromSampleValue(3)).toThrow('is not a string');
  });

  it('rejects shapes it cannot read instead of guessing', () => {
    expect(() => decodePromResult({ resultType: 'vector', result: {} })).toThrow('vector result is not a list');
    expect(() => decodePromResult({ resultType: 'tensor', result: [] })).toThrow('unknown resultType "tensor"');
    expect(() => decodePromResult({ resultType: 'vector', result: [{ metric: {}, histogram: [1, {}] }] })).toThrow('native histogram');
  });
});
