// Rollout plans for tests and the drill benchmark against a `rollgate dev` stack: short bakes
// and 1 s guardrail intervals so a whole rollout takes seconds.
import { devDigest } from '../../../src/dev/index';

export interface DevPlanOptions {
  deploymentUrl: string;
  prometheusUrl: string;
  /** Secret name of the deployment token; omitted: no token. */
  tokenSecret?: string;
  /** Bake of the canary stage. Default 3s. */
  canaryBake?: string;
  /** Extra guardrail YAML items (indented as list items under `guardrails:`). */
  extraGuardrails?: string[];
  /** Guardrail names for the canary stage. Default [error-rate, p99-latency]. */
  canaryGuardrails?: string[];
  automatic?: boolean;
  /** `rollback.to`; default `baseline`. */
  rollbackTo?: string;
  approval?: 'manual' | 'auto';
}

/** The error rate over a short window; `or vector(0)` keeps "no errors yet" a 0, not "no data". */
export const errorRateQuery = '(sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5.."}[5s])) or vector(0)) / sum(rate(rollgate_dev_requests_total{version="{{version}}"}[5s]))';

export function devPlan(options: DevPlanOptions): string {
  const canaryGuardrails = options.canaryGuardrails ?? ['error-rate', 'p99-latency'];
  return [
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata: { name: churn-v42-test, service: churn-scorer, environment: dev }',
    'model:',
    '  name: churn',
    `  candidate: { version: "42", artifact: s3://models/churn/42, digest: "${devDigest('42')}" }`,
    `  baseline: { version: "41", artifact: s3://models/churn/41, digest: "${devDigest('41')}" }`,
    'lineage:',
    '  features: [{ name: churn-features, version: "7" }]',
    '  training: { run: run-8812, commit: 1a2b3c4 }',
    'endpoints:',
    `  deployment: { url: "${options.deploymentUrl}"${options.tokenSecret ? `, token: { secret: ${options.tokenSecret} }` : ''} }`,
    `  metrics: { url: "${options.prometheusUrl}" }`,
    'guardrails:',
    '  - name: error-rate',
    `    query: '${errorRateQuery}'`,
    // 10 %: the simulator's 0.2 % base error rate can put one error among the first few requests of a canary.
    '    max: 0.1',
    '    interval: 1s',
    '    failureLimit: 1',
    // Right after a traffic change the candidate may have no requests in the window yet.
    '    onNoData: pass',
    '  - name: p99-latency',
    '    query: histogram_quantile(0.99, sum by (le) (rate(rollgate_dev_request_duration_seconds_bucket{version="{{version}}"}[5s])))',
    '    relativeTo: baseline',
    '    maxRatio: 5',
    '    interval: 1s',
    '    onNoData: pass',
    '    dryRun: true',
    ...(options.extraGuardrails ?? []),
    'stages:',
    `  - { name: canary-50, kind: canary, traffic: 50, bake: ${options.canaryBake ?? '3s'}, guardrails: [${canaryGuardrails.join(', ')}]${options.approval ? `, approval: ${options.approval}` : ''} }`,
    '  - { name: full, kind: full, traffic: 100 }',
    `rollback: { to: ${options.rollbackTo ?? 'baseline'}, automatic: ${options.automatic ?? true} }`,
    '',
  ].join('\n');
}
