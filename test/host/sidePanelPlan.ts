// The drill plan the side-panel host suite and e2e check write into their workspace, pointing at
// a `rollgate dev` stack started for the run. Short intervals keep a drill under a minute.
/**
 * `gate: true` gives a plan for steering by hand: a short canary with a manual approval, then a
 * long full-traffic bake to pause, resume and roll back during.
 */
export function sidePanelDrillPlan(options: { name: string; deploymentUrl: string; prometheusUrl: string; tokenSecret?: string; gate?: boolean; haproxy?: boolean }): string {
  const token = options.tokenSecret ? `, token: { secret: ${options.tokenSecret} }` : '';
  // With `haproxy`, deploymentUrl is rollgate dev's HAProxy runtime API and the guardrail reads HAProxy's exporter.
  const deployment = options.haproxy
    ? `{ type: haproxy, url: "${options.deploymentUrl}", backend: churn-scorer, servers: { "41": v41, "42": v42 }, timeout: 5s }`
    : `{ url: "${options.deploymentUrl}"${token}, timeout: 5s }`;
  const errorRate = options.haproxy
    ? '(sum(rate(haproxy_server_http_responses_total{proxy="churn-scorer",server="v{{version}}",code="5xx"}[15s])) or vector(0)) / sum(rate(haproxy_server_http_responses_total{proxy="churn-scorer",server="v{{version}}"}[15s]))'
    : '(sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5.."}[15s])) or vector(0)) / sum(rate(rollgate_dev_requests_total{version="{{version}}"}[15s]))';
  return `apiVersion: rollgate/v1
kind: RolloutPlan
metadata:
  name: ${options.name}
  service: churn-scorer
  owner: ml-platform
  environment: staging
model:
  name: churn
  candidate:
    version: "42"
    artifact: s3://models/churn/42
    digest: "sha256:4f2a9c1e8b7d6054a3f21e9c8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b"
  baseline:
    version: "41"
    artifact: s3://models/churn/41
    digest: "sha256:9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c"
lineage:
  data:
    - { name: events, snapshot: "2025-07-01", digest: "sha256:1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d" }
  features:
    - { name: churn-features, version: "7" }
  training: { run: run-8812, commit: 1a2b3c4 }
endpoints:
  deployment: ${deployment}
  metrics: { url: "${options.prometheusUrl}", timeout: 5s }
guardrails:
  - name: error-rate
    query: ${errorRate}
    max: 0.1
    interval: 2s
    failureLimit: 2
    onNoData: pass
${options.gate ? gatedStages : drillStages}rollback:
  to: baseline
  automatic: true
`;
}

const drillStages = `stages:
  - name: canary-50
    kind: canary
    traffic: 50
    bake: 2m
    guardrails: [error-rate]
  - name: full
    kind: full
    traffic: 100
`;

const gatedStages = `stages:
  - name: canary-50
    kind: canary
    traffic: 50
    bake: 3s
    approval: manual
  - name: full
    kind: full
    traffic: 100
    bake: 10m
    guardrails: [error-rate]
`;
