// A rollout plan for `rollgate dev` behind its real HAProxy: type haproxy, the dev runtime API,
// guardrails on HAProxy's own exporter metrics, short bakes and 1 s intervals.
import { devDigest } from '../../../src/dev/index';

export interface HaproxyDevPlanOptions {
  runtimeUrl: string;
  prometheusUrl: string;
  /** Bake of the canary stage. Default 3s. */
  canaryBake?: string;
  approval?: 'manual' | 'auto';
  automatic?: boolean;
}

/** The candidate's 5xx share as HAProxy counts it; `or vector(0)`: no errors yet is 0, not "no data". */
export const haproxyErrorRateQuery =
  '(sum(rate(haproxy_server_http_responses_total{proxy="churn-scorer",server="v{{version}}",code="5xx"}[5s])) or vector(0)) / sum(rate(haproxy_server_http_responses_total{proxy="churn-scorer",server="v{{version}}"}[5s]))';

export function haproxyDevPlan(options: HaproxyDevPlanOptions): string {
  return [
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata: { name: churn-v42-haproxy-test, service: churn-scorer, environment: dev }',
    'model:',
    '  name: churn',
    `  candidate: { version: "42", artifact: s3://models/churn/42, digest: "${devDigest('42')}" }`,
    `  baseline: { version: "41", artifact: s3://models/churn/41, digest: "${devDigest('41')}" }`,
    'endpoints:',
    `  deployment: { type: haproxy, url: "${options.runtimeUrl}", backend: churn-scorer, servers: { "41": v41, "42": v42 } }`,
    `  metrics: { url: "${options.prometheusUrl}" }`,
    'guardrails:',
    '  - name: error-rate',
    `    query: '${haproxyErrorRateQuery}'`,
    '    max: 0.1',
    '    interval: 1s',
    '    failureLimit: 1',
    '    onNoData: pass',
    'stages:',
    `  - { name: canary-50, kind: canary, traffic: 50, bake: ${options.canaryBake ?? '3s'}, guardrails: [error-rate]${options.approval ? `, approval: ${options.approval}` : ''} }`,
    '  - { name: full, kind: full, traffic: 100 }',
    `rollback: { to: baseline, automatic: ${options.automatic ?? true} }`,
    '',
  ].join('\n');
}
