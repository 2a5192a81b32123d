// `rollgate dev` with a real HAProxy: one server per version behind HAProxy (runtime API and
// exporter, scraped by the dev Prometheus), faults showing through it, and the Rollgate
// deployment API still working against the same stack.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { HaproxyRuntimeClient, HaproxyTraffic } from '../../../src/core/backends/haproxy/index';
import { DevDeployment, ModelSimulator, startDevStack, startModelServers } from '../../../src/dev/index';
import { eventually, useDevStack } from '../../support/devStack';
import { haproxyBin } from '../../support/haproxy';

const dev = useDevStack({ haproxy: 'required', haproxyBin, haproxyPort: 0, haproxyApiPort: 0, haproxyMetricsPort: 0, requestsPerSecond: 60 });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function scalar(query: string): Promise<number | undefined> {
  const { result } = await dev().prometheus.query(query);
  return result.resultType === 'vector' && result.samples.length === 1 ? result.samples[0]!.value : undefined;
}

describe('rollgate dev with HAProxy', () => {
  it('runs each version behind HAProxy, whose runtime API reads the same start as the Rollgate API', async () => {
    const haproxy = dev().stack.haproxy!;
    expect(haproxy.servers).toEqual({ '41': 'v41', '42': 'v42' });
    for (const url of [haproxy.runtimeUrl, haproxy.socketUrl]) {
      const reading = await new HaproxyTraffic({ url, backend: haproxy.backend, servers: haproxy.servers }).read();
      expect(reading.weights).toEqual({ '41': 100, '42': 0 });
      expect(reading.unavailable).toEqual({});
    }
    const answer = await fetch(haproxy.predictUrl, { method: 'POST', body: '{}' });
    expect(answer.headers.get('x-rollgate-version')).toBe('41');
    expect(await answer.json()).toMatchObject({ version: '41' });
  });

  it("a fault injected on a version shows in HAProxy's own metrics, scraped by the dev Prometheus", async () => {
    const { stack } = dev();
    const haproxy = stack.haproxy!;
    const traffic = new HaproxyTraffic({ url: haproxy.runtimeUrl, backend: haproxy.backend, servers: haproxy.servers });
    await traffic.setShares({ '41': 50, '42': 50 });
    const faults = await fetch(stack.faultsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '42', errorRate: 1 }) });
    expect(faults.status).toBe(200);
    try {
      const errors = await eventually(
        async () => {
          const value = await scalar('sum(rate(haproxy_server_http_responses_total{proxy="churn-scorer",server="v42",code="5xx"}[10s]))');
          return value !== undefined && value > 1 ? value : undefined;
        },
        30_000,
        "v42's 5xx answers in haproxy_server_http_responses_total",
      );
      expect(errors).toBeGreaterThan(1);
      expect(await scalar('sum(rate(haproxy_server_http_responses_total{proxy="churn-scorer",server="v41",code="2xx"}[10s]))')).toBeGreaterThan(1);
    } finally {
      stack.clearFaults();
      await traffic.rollback('41');
    }
  });

  it('each model server takes a fault for its own version, found from its address in show servers state', async () => {
    const { stack } = dev();
    const haproxy = stack.haproxy!;
    const servers = await new HaproxyRuntimeClient({ url: haproxy.runtimeUrl, backend: haproxy.backend }).servers();
    const candidate = servers.find((server) => server.name === 'v42')!;
    const faults = `http://${candidate.address}:${candidate.port}/v1/faults`;
    try {
      const set = await fetch(faults, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"errorRate":0.5,"latencyMs":5}' });
      expect(await set.json()).toMatchObject({ faults: [{ version: '42', errorRate: 0.5, latencyMs: 5 }] });
      const other = await fetch(faults, { method: 'POST', body: '{"version":"41","errorRate":1}' });
      expect(other.status).toBe(422);
      expect(((await other.json()) as { error: { message: string } }).error.message).toBe('this server is version 42; it cannot set a fault on version 41');
      expect((await fetch(faults, { method: 'POST', body: '{"errorRate":2}' })).status).toBe(422);
    } finally {
      expect(await (await fetch(faults, { method: 'DELETE' })).json()).toEqual({ faults: [] });
    }
  });

  it('the Rollgate deployment API keeps working against the same stack, independently of HAProxy', async () => {
    const { stack, deployment } = dev();
    const haproxy = stack.haproxy!;
    await deployment.setTraffic({ '41': 90, '42': 10 }, {}, { idempotencyKey: 'dev-haproxy-rollgate-api' });
    try {
      expect((await deployment.getService()).versions.map((version) => [version.version, version.weight])).toEqual([
        ['41', 90],
        ['42', 10],
      ]);
      const reading = await new HaproxyTraffic({ url: haproxy.runtimeUrl, backend: haproxy.backend, servers: haproxy.servers }).read();
      expect(reading.weights).toEqual({ '41': 100, '42': 0 });
      await eventually(async () => ((await scalar('sum(rate(rollgate_dev_requests_total{version="42"}[10s]))')) ?? 0) > 0 || undefined, 30_000, "version 42's requests through the built-in router");
    } finally {
      await deployment.rollback('41', 'test cleanup', { idempotencyKey: 'dev-haproxy-rollgate-api-rollback' });
    }
  });
});

describe('rollgate dev without HAProxy', () => {
  it('runs as before and says HAProxy is missing; `required` fails instead', async () => {
    const stack = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0, haproxy: 'auto', haproxySearchPath: '/nonexistent-rollgate-test' });
    try {
      expect(stack.haproxy).toBeUndefined();
      expect(stack.notices.join('\n')).toContain('HAProxy was not found, so predictions are routed by the built-in router only (the Rollgate deployment API still works).');
      expect(stack.notices.join('\n')).toContain('apt-get install haproxy');
      expect((await fetch(`${stack.deploymentUrl}/v1/services/churn-scorer`)).status).toBe(200);
    } finally {
      await stack.stop();
    }
    await expect(startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0, haproxy: 'required', haproxySearchPath: '/nonexistent-rollgate-test' })).rejects.toThrow('HAProxy was not found');
  });

  it('stop() ends HAProxy and removes its folder', async () => {
    const stack = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 20, haproxy: 'required', haproxyBin, haproxyPort: 0, haproxyApiPort: 0, haproxyMetricsPort: 0 });
    const haproxy = stack.haproxy!;
    const folder = haproxy.configFile.replace(/\/haproxy\.cfg$/, '');
    expect(alive(haproxy.pid)).toBe(true);
    expect(existsSync(folder)).toBe(true);
    await stack.stop();
    expect(alive(haproxy.pid)).toBe(false);
    expect(existsSync(folder)).toBe(false);
    await expect(fetch(haproxy.predictUrl, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});

describe('model servers', () => {
  it('take a fault for their own version, without the token that guards the deployment endpoint', async () => {
    const deployment = new DevDeployment('churn-scorer', [{ version: '41', artifact: 'a', digest: 'd', weight: 100 }]);
    const simulator = new ModelSimulator(deployment);
    const models = await startModelServers(simulator, ['41']);
    try {
      const [server] = models.servers;
      expect((await fetch(`${server!.url}/v1/faults`, { method: 'POST', body: '{"errorRate":1}' })).status).toBe(200);
      const prediction = await fetch(`${server!.url}/predict`, { method: 'POST', body: '{}' });
      expect(prediction.status).toBe(500);
      expect(prediction.headers.get('x-rollgate-version')).toBe('41');
      expect((await fetch(`${server!.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server!.url}/v1/faults`, { method: 'PUT' })).status).toBe(405);
    } finally {
      await models.close();
      await simulator.stop();
    }
  });
});
