import { stringify } from 'yaml';

/** A valid plan (as data) that tests change one field at a time; `planText` writes it as YAML. */
export function basePlan(): Record<string, any> {
  return {
    apiVersion: 'rollgate/v1',
    kind: 'RolloutPlan',
    metadata: { name: 'churn-v42', service: 'churn-scorer', environment: 'staging' },
    model: {
      name: 'churn',
      candidate: { version: '42', artifact: 's3://models/churn/42', digest: `sha256:${'a1'.repeat(32)}` },
      baseline: { version: '41', artifact: 's3://models/churn/41', digest: `sha256:${'b2'.repeat(32)}` },
    },
    lineage: { data: [{ name: 'events', snapshot: '2025-07-01' }], features: [{ name: 'churn-features', version: '7' }], training: { run: 'run-8812', commit: '1a2b3c4' } },
    endpoints: { deployment: { url: 'http://127.0.0.1:8700' }, metrics: { url: 'http://prometheus.monitoring:9090' } },
    guardrails: [{ name: 'error-rate', query: 'sum(rate(requests_total{version="{{version}}",code=~"5.."}[1m])) / sum(rate(requests_total{version="{{version}}"}[1m]))', max: 0.02, interval: '30s' }],
    stages: [
      { name: 'canary-10', kind: 'canary', traffic: 10, bake: '5m', guardrails: ['error-rate'] },
      { name: 'full', kind: 'full', traffic: 100 },
    ],
    rollback: { to: 'baseline', automatic: true },
    export: { argoRollouts: { replicas: 4, canaryService: 'churn-canary', stableService: 'churn-stable', trafficRouting: { smi: { rootService: 'churn-scorer' } } } },
  };
}

export function planText(plan: Record<string, unknown>): string {
  return stringify(plan, { lineWidth: 0 });
}
