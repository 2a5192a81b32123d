/**
 * A deterministic runbook of about `targetBytes`: sections with headings, prose, lists, tables
 * and nested fences, between http / promql / rollout / check cells with attributes.
 */
export function generateRunbook(targetBytes = 2 * 1024 * 1024): string {
  const parts: string[] = ['---\ntitle: Generated incident runbook\nplan: ./churn-canary.rollout.yaml\nenvironment: staging\n---\n'];
  let size = parts[0]!.length;
  for (let section = 0; size < targetBytes; section++) {
    // One Markdown cell (heading, prose, list with a nested fence, table, quote) and one code
    // cell per section, about 400 bytes per cell on average.
    const code = [
      `\`\`\`promql {"name":"errors_${section}","expect":"< 0.02"}\nsum(rate(rollgate_dev_requests_total{version="{{candidate.version}}",code=~"5.."}[1m]))\n  / sum(rate(rollgate_dev_requests_total{version="{{candidate.version}}"}[1m]))\n\`\`\`\n`,
      `\`\`\`http {"name":"status_${section}"}\nGET {{endpoints.deployment.url}}/v1/services/churn-scorer\nAuthorization: Bearer {{secret:deploy-token}}\n\`\`\`\n`,
      `\`\`\`rollout {"effect":"mutate"}\nset-traffic ${section % 100}\n\`\`\`\n`,
      `\`\`\`check {"name":"gates_${section}"}\nerror-rate\n\`\`\`\n`,
    ][section % 4]!;
    const blocks = [
      `## Step ${section}: check the canary\n`,
      `The candidate {{candidate.version}} serves part of the traffic. If the error rate of step ${section} rises above the guardrail, roll back and note *why* in the ledger.\n`,
      `Before acting, read the last hour of the dashboard for step ${section}: the 5xx share, the p99 latency against the baseline, and the traffic split. A short spike during a bake is expected when a cohort moves; a rise that lasts two intervals is what the guardrail is for.\n`,
      `- compare with the baseline:\n  \`\`\`text\n  baseline ${section}\n  \`\`\`\n`,
      `| stage | traffic |\n|---|--:|\n| canary-${section} | ${section % 100} |\n`,
      `> Note: a [link](https://example.invalid/${section}) and \`code\`.\n`,
      code,
    ];
    for (const block of blocks) {
      parts.push(block, '\n');
      size += block.length + 1;
    }
  }
  return parts.join('');
}
