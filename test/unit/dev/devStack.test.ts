// The whole `rollgate dev` stack with a real Prometheus: traffic, mirroring and injected faults
// show up in Prometheus within a few scrape intervals, read through the core's client.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import type { PrometheusClient } from '../../../src/core/endpoints/index';
import { eventually, useDevStack } from '../../support/devStack';

// Higher than the default 40/s so that rates over a few seconds are steady.
const dev = useDevStack({ requestsPerSecond: 80 });

async function instant(prometheus: PrometheusClient, promql: string): Promise<number | undefined> {
  const { result } = await prometheus.query(promql);
  if (result.resultType !== 'vector' || result.samples.length === 0) return undefined;
  const value = result.samples[0]?.value;
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

const errorRatio = (version: string) => `sum(rate(rollgate_dev_requests_total{version="${version}",code=~"5.."}[5s])) / sum(rate(rollgate_dev_requests_total{version="${version}"}[5s]))`;
const requestRate = (version: string) => `sum(rate(rollgate_dev_requests_total{version="${version}"}[5s]))`;

describe('rollgate dev with Prometheus', () => {
  it('Prometheus is up, scraping the simulator every second, with all three metric families', async () => {
    const { stack, prometheus } = dev();
    expect(stack.prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(stack.prometheusDataDir ?? '')).toBe(true);
    const { result } = await prometheus.query('up{job="rollgate-dev"}');
    expect(result.resultType === 'vector' && result.samples.map((sample) => sample.value)).toEqual([1]);
    const exposition = await (await fetch(stack.metricsUrl)).text();
    expect(exposition).toContain('# TYPE rollgate_dev_requests_total counter');
    expect(exposition).toContain('# TYPE rollgate_dev_request_duration_seconds histogram');
    expect(exposition).toContain('rollgate_dev_request_duration_seconds_bucket{le="0.005",version="41"}');
    expect(exposition).toContain('# TYPE rollgate_dev_prediction_score histogram');
    // Baseline gets all the load; the candidate's series exist at zero.
    await eventually(async () => ((await instant(prometheus, requestRate('41'))) ?? 0) > 20 || undefined, 15_000, 'baseline traffic in Prometheus');
    expect(await instant(prometheus, requestRate('42'))).toBe(0);
  });

  it('the router honours the weights', async () => {
    const { stack, deployment } = dev();
    await deployment.setTraffic({ '42': 100 });
    const answers = await Promise.all(Array.from({ length: 10 }, async () => (await fetch(stack.predictUrl, { method: 'POST', body: '{"customer":1}' })).headers.get('x-rollgate-version')));
    expect(new Set(answers)).toEqual(new Set(['42']));
    await deployment.rollback('41', 'back to baseline for the next test');
  });

  it('mirrored copies are scored (the candidate shows traffic) but never answer', async () => {
    const { stack, deployment, prometheus } = dev();
    await deployment.setTraffic({ '41': 100 }, { '42': 100 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await fetch(stack.predictUrl, { method: 'POST' });
        return ((await response.json()) as { version?: string; error?: unknown }).version ?? response.headers.get('x-rollgate-version');
      }),
    );
    expect(new Set(answers)).toEqual(new Set(['41']));
    const shadowRate = await eventually(
      async () => {
        const rate = await instant(prometheus, requestRate('42'));
        return rate !== undefined && rate > 20 ? rate : undefined;
      },
      15_000,
      'mirrored traffic on the candidate in Prometheus',
    );
    expect(shadowRate).toBeGreaterThan(20);
    await deployment.rollback('41', 'end of shadow test');
  });

  it('an injected error rate on the candidate is read back through Prometheus within a few scrapes', async () => {
    const { stack, deployment, prometheus } = dev();
    await deployment.setTraffic({ '41': 50, '42': 50 });
    // First the candidate is healthy under traffic ...
    await eventually(
      async () => {
        const rate = await instant(prometheus, requestRate('42'));
        return rate !== undefined && rate > 20 ? rate : undefined;
      },
      15_000,
      'candidate traffic',
    );
    expect((await instant(prometheus, errorRatio('42'))) ?? 0).toBeLessThan(0.1);
    // ... then it breaks.
    const injectedAt = Date.now();
    const response = await fetch(stack.faultsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '42', errorRate: 0.5 }) });
    expect(response.status).toBe(200);
    const ratio = await eventually(
      async () => {
        const value = await instant(prometheus, errorRatio('42'));
        return value !== undefined && value > 0.3 ? value : undefined;
      },
      20_000,
      'the raised error ratio of version 42',
    );
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.75);
    expect(Date.now() - injectedAt).toBeLessThan(20_000);
    // The baseline is unaffected.
    expect((await instant(prometheus, errorRatio('41'))) ?? 0).toBeLessThan(0.1);
    await fetch(stack.faultsUrl, { method: 'DELETE' });
  });

  it('injected latency raises the candidate p99 from the duration histogram', async () => {
    const { stack, deployment, prometheus } = dev();
    await deployment.setTraffic({ '41': 50, '42': 50 });
    stack.injectFault({ version: '42', latencyMs: 400 });
    const p99 = (version: string) => `histogram_quantile(0.99, sum by (le) (rate(rollgate_dev_request_duration_seconds_bucket{version="${version}"}[5s])))`;
    const candidate = await eventually(
      async () => {
        const value = await instant(prometheus, p99('42'));
        return value !== undefined && value >= 0.4 ? value : undefined;
      },
      20_000,
      'the raised p99 latency of version 42',
    );
    expect(candidate).toBeLessThanOrEqual(0.5);
    expect(await instant(prometheus, p99('41'))).toBeLessThan(0.05);
    stack.clearFaults();
    await deployment.rollback('41', 'end of latency drill');
  });
});
