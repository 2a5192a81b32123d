// Every route of the deployment contract (docs/deployment-api.yaml) as `rollgate dev` serves it,
// driven through the core's DeploymentClient, including the error and idempotency cases.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DeploymentClient, type ServiceState } from '../../../src/core/endpoints/index';
import { devDigest, startDevStack, type DevStack } from '../../../src/dev/index';
import { rejection } from '../../support/rejection';

let stack: DevStack;
let client: DeploymentClient;

beforeAll(async () => {
  // The contract needs no metrics; Prometheus-backed behaviour is covered in devStack.test.ts.
  stack = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0 });
  client = new DeploymentClient({ baseUrl: stack.deploymentUrl, service: 'churn-scorer', retries: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

function weights(state: ServiceState): Record<string, [number, number]> {
  return Object.fromEntries(state.versions.map((version) => [version.version, [version.weight, version.mirror]]));
}

async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(stack.deploymentUrl + path, { method, body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

describe('GET /v1/services/{service}', () => {
  it('starts with baseline 41 stable at 100 and candidate 42 registered at 0', async () => {
    const state = await client.getService();
    expect(state).toMatchObject({ service: 'churn-scorer', stable: '41', phase: 'stable' });
    expect(state.versions).toEqual([
      { version: '41', artifact: 's3://models/churn/41', digest: devDigest('41'), weight: 100, mirror: 0 },
      { version: '42', artifact: 's3://models/churn/42', digest: devDigest('42'), weight: 0, mirror: 0 },
    ]);
    expect(Number.isNaN(Date.parse(state.updatedAt))).toBe(false);
  });

  it('404 for an unknown service, with the contract error body', async () => {
    const other = new DeploymentClient({ baseUrl: stack.deploymentUrl, service: 'fraud-scorer', retries: 0 });
    const error = await rejection(other.getService());
    expect(error.status).toBe(404);
    expect(error.code).toBe('service_not_found');
    expect(error.message).toContain('no service "fraud-scorer" here; this endpoint serves "churn-scorer"');
    const answer = await raw('GET', '/v1/services/fraud-scorer');
    expect(answer.body).toEqual({ error: { code: 'service_not_found', message: expect.any(String) } });
  });

  it('404 for an unknown route, 405 for a wrong method, 400 for broken JSON', async () => {
    expect((await raw('GET', '/v1/nothing')).status).toBe(404);
    expect(await raw('POST', '/v1/services/churn-scorer')).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect(await raw('PUT', '/v1/services/churn-scorer/traffic', '{"weights":')).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
  });
});

describe('PUT /v1/services/{service}/traffic', () => {
  beforeEach(async () => {
    await client.rollback('41', 'reset between tests');
  });

  it('sets weights and mirror and reports a rollout in progress', async () => {
    const state = await client.setTraffic({ '41': 95, '42': 5 }, { '42': 0 });
    expect(weights(state)).toEqual({ '41': [95, 0], '42': [5, 0] });
    expect(state.phase).toBe('progressing');
    expect(state.stable).toBe('41');
    expect(weights(await client.getService())).toEqual({ '41': [95, 0], '42': [5, 0] });
  });

  it('a version taking all traffic with nothing mirrored becomes stable', async () => {
    await client.setTraffic({ '41': 50, '42': 50 });
    const state = await client.setTraffic({ '42': 100 }, {});
    expect(state).toMatchObject({ stable: '42', phase: 'stable' });
  });

  it('shadow: mirroring alone keeps the rollout in progress', async () => {
    const state = await client.setTraffic({ '41': 100 }, { '42': 100 });
    expect(weights(state)).toEqual({ '41': [100, 0], '42': [0, 100] });
    expect(state.phase).toBe('progressing');
  });

  it('422 when the weights do not sum to 100, and nothing changes', async () => {
    const before = await client.getService();
    const error = await rejection(client.setTraffic({ '41': 90, '42': 5 }));
    expect(error.status).toBe(422);
    expect(error.code).toBe('weights_do_not_sum_to_100');
    expect(error.message).toContain('traffic weights must sum to 100, these sum to 95');
    expect(await client.getService()).toEqual(before);
  });

  it('422 for an unknown version, in weights or in mirror', async () => {
    const inWeights = await rejection(client.setTraffic({ '41': 50, '99': 50 }));
    expect(inWeights).toMatchObject({ status: 422, code: 'unknown_version' });
    expect(inWeights.message).toContain('weights name version "99", which is not registered for churn-scorer (registered: 41, 42');
    await expect(client.setTraffic({ '41': 100 }, { '99': 10 })).rejects.toMatchObject({ status: 422, code: 'unknown_version' });
  });

  it('422 for a percentage outside 0..100 or a missing weights object', async () => {
    await expect(client.setTraffic({ '41': 120, '42': -20 })).rejects.toMatchObject({ status: 422, code: 'invalid_percentage' });
    expect(await raw('PUT', '/v1/services/churn-scorer/traffic', '{"mirror":{}}')).toMatchObject({ status: 422, body: { error: { code: 'invalid_request' } } });
  });
});

describe('POST /v1/services/{service}/rollback', () => {
  it('gives the target all traffic, clears mirrors, makes it stable, phase rolled-back', async () => {
    await client.setTraffic({ '41': 100 }, {});
    await client.setTraffic({ '41': 20, '42': 80 }, { '41': 0 });
    await client.setTraffic({ '41': 0, '42': 100 }, { '41': 50 });
    const state = await client.rollback('41', 'p99 latency above guardrail');
    expect(weights(state)).toEqual({ '41': [100, 0], '42': [0, 0] });
    expect(state).toMatchObject({ stable: '41', phase: 'rolled-back' });
  });

  it('422 for an unknown target or a missing reason', async () => {
    await expect(client.rollback('40', 'no such version')).rejects.toMatchObject({ status: 422, code: 'unknown_version' });
    await expect(client.rollback('41', '  ')).rejects.toMatchObject({ status: 422, code: 'invalid_request' });
  });
});

describe('pause and resume', () => {
  it('a paused service refuses traffic changes (409) but can still roll back', async () => {
    await client.setTraffic({ '41': 90, '42': 10 });
    expect((await client.pause('guardrail inconclusive')).phase).toBe('paused');
    const refused = await rejection(client.setTraffic({ '41': 50, '42': 50 }));
    expect(refused).toMatchObject({ status: 409, code: 'service_paused' });
    expect(weights(await client.resume())).toEqual({ '41': [90, 0], '42': [10, 0] });
    expect((await client.getService()).phase).toBe('progressing');
    await expect(client.resume()).rejects.toMatchObject({ status: 409, code: 'not_paused' });
    await client.pause('again');
    expect((await client.rollback('41', 'abandon')).phase).toBe('rolled-back');
  });
});

describe('POST /v1/services/{service}/versions', () => {
  const digest43 = `sha256:${'4'.repeat(64)}`;

  it('registers a version at weight 0; the same registration again changes nothing', async () => {
    const state = await client.registerVersion({ version: '43', artifact: 's3://models/churn/43', digest: digest43 });
    expect(state.versions.find((version) => version.version === '43')).toEqual({ version: '43', artifact: 's3://models/churn/43', digest: digest43, weight: 0, mirror: 0 });
    const again = await client.registerVersion({ version: '43', artifact: 's3://models/churn/43', digest: digest43 });
    expect(again.versions.filter((version) => version.version === '43')).toHaveLength(1);
    // The new version can take traffic right away.
    expect(weights(await client.setTraffic({ '41': 90, '43': 10 }))['43']).toEqual([10, 0]);
  });

  it('409 when the version exists with another artifact; 422 for a bad digest', async () => {
    await expect(client.registerVersion({ version: '42', artifact: 's3://elsewhere/42', digest: digest43 })).rejects.toMatchObject({ status: 409, code: 'version_exists' });
    await expect(client.registerVersion({ version: '42', artifact: 's3://models/churn/42', digest: digest43 })).rejects.toMatchObject({ status: 409, code: 'version_exists' });
    await expect(client.registerVersion({ version: '44', artifact: 's3://models/churn/44', digest: 'md5:abc' })).rejects.toMatchObject({ status: 422, code: 'invalid_digest' });
  });
});

describe('Idempotency-Key', () => {
  it('a repeat with the same key returns the first result and changes nothing', async () => {
    await client.setTraffic({ '41': 100 }, {});
    const first = await client.setTraffic({ '41': 70, '42': 30 }, undefined, { idempotencyKey: 'traffic-1' });
    const rolledBack = await client.rollback('41', 'something else happened since');
    const repeat = await client.setTraffic({ '41': 70, '42': 30 }, undefined, { idempotencyKey: 'traffic-1' });
    expect(repeat).toEqual(first);
    expect(await client.getService()).toEqual(rolledBack);
  });

  it('replays mutations on POST too and marks the replay', async () => {
    const body = JSON.stringify({ to: '41', reason: 'drill' });
    const first = await raw('POST', '/v1/services/churn-scorer/rollback', body, { 'idempotency-key': 'rollback-1' });
    const repeat = await raw('POST', '/v1/services/churn-scorer/rollback', body, { 'idempotency-key': 'rollback-1' });
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
  });

  it('409 when a key is reused for a different request', async () => {
    await client.setTraffic({ '41': 100 }, undefined, { idempotencyKey: 'traffic-2' });
    await expect(client.setTraffic({ '41': 60, '42': 40 }, undefined, { idempotencyKey: 'traffic-2' })).rejects.toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    expect(weights(await client.getService())['41']).toEqual([100, 0]);
  });
});

describe('bearer token', () => {
  const token = 'dev-token-5d0e7a';
  let secured: DevStack;
  beforeAll(async () => {
    secured = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0, token });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('401 without the token or with a wrong one; the message never shows a token', async () => {
    const anonymous = await rejection(new DeploymentClient({ baseUrl: secured.deploymentUrl, service: 'churn-scorer', retries: 0 }).getService());
    expect(anonymous).toMatchObject({ status: 401, code: 'unauthorized', kind: 'http' });
    const wrongToken = 'not-the-token-91';
    const wrong = await rejection(new DeploymentClient({ baseUrl: secured.deploymentUrl, service: 'churn-scorer', token: wrongToken, retries: 0 }).setTraffic({ '41': 100 }));
    expect(wrong.status).toBe(401);
    for (const error of [anonymous, wrong]) {
      expect(error.message).toContain('Check the bearer token');
      expect(error.message).not.toContain(token);
      expect(error.message).not.toContain(wrongToken);
    }
    const response = await fetch(`${secured.deploymentUrl}/v1/faults`, { method: 'DELETE' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('200 with the token; /predict and /metrics stay open for traffic and scraping', async () => {
    const state = await new DeploymentClient({ baseUrl: secured.deploymentUrl, service: 'churn-scorer', token }).getService();
    expect(state.stable).toBe('41');
    expect((await fetch(secured.predictUrl, { method: 'POST' })).status).toBeLessThan(501);
    expect((await fetch(secured.metricsUrl)).status).toBe(200);
  });
});

describe('fault injection routes', () => {
  it('POST merges a fault, GET lists, DELETE clears; bad input is 422', async () => {
    expect(await raw('POST', '/v1/faults', JSON.stringify({ version: '42', errorRate: 0.3 }))).toMatchObject({ status: 200, body: { faults: [{ version: '42', errorRate: 0.3, latencyMs: 0 }] } });
    expect(await raw('POST', '/v1/faults', JSON.stringify({ version: '42', latencyMs: 200 }))).toMatchObject({ body: { faults: [{ version: '42', errorRate: 0.3, latencyMs: 200 }] } });
    expect(await raw('POST', '/v1/faults', JSON.stringify({ version: '99', errorRate: 0.3 }))).toMatchObject({ status: 422, body: { error: { code: 'invalid_fault' } } });
    expect(await raw('POST', '/v1/faults', JSON.stringify({ version: '42', errorRate: 3 }))).toMatchObject({ status: 422 });
    expect(await raw('POST', '/v1/faults', JSON.stringify({ version: '42' }))).toMatchObject({ status: 422 });
    expect(await raw('DELETE', '/v1/faults')).toMatchObject({ status: 200, body: { faults: [] } });
    expect(await raw('GET', '/v1/faults')).toMatchObject({ status: 200, body: { faults: [] } });
  });
});
