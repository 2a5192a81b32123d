// Servers of the HAProxy backend that the plan does not name: a rollout holds them at weight 0
// in the same line as its split and says so in its event and its ledger entry (real HAProxy,
// virtual clock, recorded metrics).
import { describe, expect, it } from 'vitest';

import { HaproxyTraffic } from '../../../src/core/backends/haproxy/index';
import { HaproxyTrafficControl, RecordedMetrics, RolloutEngine, VirtualClock, type ChangeEntry, type RolloutEvent } from '../../../src/core/index';
import { planSchema } from '../../../src/core/plan/schema';
import { useHaproxy } from '../../support/haproxy';

const haproxy = useHaproxy([
  {
    name: 'churn-scorer',
    servers: [
      { name: 'v41', weight: 100 },
      { name: 'v42', weight: 0 },
      { name: 'v40', weight: 5 },
      { name: 'spare', weight: 0 },
    ],
  },
]);

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('servers the plan does not name', () => {
  it('are held at weight 0 by every traffic change, and the rollout reports them in its events and ledger', async () => {
    const servers = { '41': 'v41', '42': 'v42' };
    const plan = planSchema.parse({
      apiVersion: 'rollgate/v1',
      kind: 'RolloutPlan',
      metadata: { name: 'churn-v42', service: 'churn-scorer', environment: 'staging' },
      model: {
        name: 'churn',
        candidate: { version: '42', artifact: 's3://m/42', digest: digest('a') },
        baseline: { version: '41', artifact: 's3://m/41', digest: digest('b') },
      },
      endpoints: { deployment: { type: 'haproxy', url: haproxy().runtimeUrl, backend: 'churn-scorer', servers }, metrics: { url: 'http://127.0.0.1:9090' } },
      guardrails: [{ name: 'error-rate', query: 'errors{version="{{version}}"}', max: 0.02, interval: '10s' }],
      stages: [
        { name: 'canary-10', kind: 'canary', traffic: 10, bake: '10s', guardrails: ['error-rate'] },
        { name: 'full', kind: 'full', traffic: 100 },
      ],
    });
    const traffic = new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'churn-scorer', servers });
    const entries: ChangeEntry[] = [];
    const events: RolloutEvent[] = [];
    const engine = await RolloutEngine.create({
      plan,
      planDigest: digest('c'),
      traffic: new HaproxyTrafficControl(traffic),
      metrics: new RecordedMetrics({ 'error-rate': { '42': [0.001] } }),
      changeLog: { append: async (entry) => void entries.push(entry) },
      clock: new VirtualClock(),
      progressIntervalMs: Infinity,
    });
    engine.onEvent((event) => events.push(event));

    const final = await engine.run();
    expect(final.status).toBe('promoted');
    const reading = await traffic.read();
    expect(reading.weights).toEqual({ '41': 0, '42': 100 });
    expect(reading.unplanned).toEqual([
      { server: 'v40', weight: 0, share: 0 },
      { server: 'spare', weight: 0, share: 0 },
    ]);
    const trafficSet = events.filter((event) => event.kind === 'traffic-set').map((event) => event.message);
    expect(trafficSet[0]).toBe('traffic set: 41=90% 42=10%; servers of HAProxy backend churn-scorer the plan does not name held at weight 0: v40 (was 5), spare');
    expect(trafficSet[1]).toContain('held at weight 0: v40, spare');
    const changes = entries.filter((entry) => entry.action === 'traffic-change');
    expect(changes[0]!.reason).toBe('stage canary-10; servers of HAProxy backend churn-scorer the plan does not name held at weight 0: v40 (was 5), spare');
  });
});
