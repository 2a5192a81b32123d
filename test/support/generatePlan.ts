/** Options for {@link generatePlan}. */
export interface GeneratePlanOptions {
  /** Number of stages (at least 2: a shadow stage first and a full stage last). */
  stages: number;
  /** Number of guardrails (at least 1). */
  guardrails: number;
}

const candidateDigest = `sha256:${'a1'.repeat(32)}`;
const baselineDigest = `sha256:${'b2'.repeat(32)}`;

/**
 * Builds a valid rollout plan of the requested size, deterministically (same options, same
 * bytes), for benchmarks and size tests. About 8 lines per guardrail and 5 per stage, so
 * `{ stages: 400, guardrails: 400 }` gives roughly 5,000 lines.
 */
export function generatePlan({ stages, guardrails }: GeneratePlanOptions): string {
  const stageCount = Math.max(2, Math.floor(stages));
  const guardrailCount = Math.max(1, Math.floor(guardrails));
  const lines: string[] = [
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata:',
    '  name: churn-generated',
    '  service: churn-scorer',
    '  owner: ml-platform',
    '  environment: staging',
    '  description: A generated plan for benchmarks and size tests.',
    'model:',
    '  name: churn',
    '  candidate:',
    '    version: "42"',
    '    artifact: s3://models/churn/42',
    `    digest: "${candidateDigest}"`,
    '  baseline:',
    '    version: "41"',
    '    artifact: s3://models/churn/41',
    `    digest: "${baselineDigest}"`,
    'endpoints:',
    '  deployment:',
    '    url: http://127.0.0.1:8700',
    '    token: { secret: deploy-token }',
    '  metrics:',
    '    url: http://127.0.0.1:9090',
    'guardrails:',
  ];
  for (let index = 0; index < guardrailCount; index++) {
    lines.push(`  - name: guardrail-${index}`, `    description: Generated guardrail number ${index}.`);
    if (index % 2 === 0) {
      lines.push(
        `    query: sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5..",shard="${index}"}[1m])) / sum(rate(rollgate_dev_requests_total{version="{{version}}",shard="${index}"}[1m]))`,
        `    max: 0.0${(index % 9) + 1}`,
      );
    } else {
      lines.push(`    query: histogram_quantile(0.99, sum by (le) (rate(rollgate_dev_request_duration_seconds_bucket{version="{{version}}",shard="${index}"}[1m])))`, '    relativeTo: baseline', '    maxRatio: 1.2');
    }
    lines.push('    interval: 15s', `    failureLimit: ${(index % 3) + 1}`, '    onNoData: inconclusive');
  }
  lines.push('stages:');
  const guardrailName = (offset: number) => `guardrail-${offset % guardrailCount}`;
  for (let index = 0; index < stageCount; index++) {
    const first = index === 0;
    const last = index === stageCount - 1;
    lines.push(`  - name: stage-${index}`);
    if (first) lines.push('    kind: shadow', '    mirror: 100');
    else if (last) lines.push('    kind: full', '    traffic: 100');
    else lines.push('    kind: canary', `    traffic: ${Math.max(1, Math.floor((100 * index) / stageCount))}`);
    lines.push(`    bake: ${(index % 5) + 1}m`);
    lines.push(`    guardrails: [${guardrailName(index)}, ${guardrailName(index + 1)}, ${guardrailName(index + 7)}]`);
  }
  lines.push('rollback:', '  to: baseline', '  automatic: true', '');
  return lines.join('\n');
}
