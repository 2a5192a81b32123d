import type { Command } from '../io';

/**
 * One entry per command; each module owns its options and help text and is loaded lazily, so
 * `rollgate validate` does not pay for the dev stack's dependencies.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  validate: { summary: 'Validate rollout plans (text, json or sarif output)', load: async () => (await import('./validate')).validateCommand },
  schema: { summary: "Print the rollout plan's JSON Schema", load: async () => (await import('./schema')).schemaCommand },
  ledger: { summary: 'Verify or show the hash-chained changelog (ledger verify|show)', load: async () => (await import('./ledger')).ledgerCommand },
  run: { summary: 'Run runbook cells headlessly (drills, CI): --cell, --env, --yes, --dry-run', load: async () => (await import('./run')).runCommand },
  dev: { summary: 'Start the local demo stack: model simulator, deployment endpoint, Prometheus', load: async () => (await import('./dev')).devCommand },
  rollback: { summary: "Roll the plan's service back now: one recorded, idempotency-keyed call (--yes)", load: async () => (await import('./rollback')).rollbackCommand },
  export: { summary: 'Compile a plan to Argo Rollouts objects or a PrometheusRule (--to, --out, --format)', load: async () => (await import('./export')).exportCommand },
  import: { summary: 'Turn an Argo Rollout and its AnalysisTemplates into a plan (--out)', load: async () => (await import('./import')).importCommand },
  rollout: { summary: "Walk a plan's stages with guardrails and automatic rollback (--dry-run, --drill)", load: async () => (await import('./rollout')).rolloutCommand },
};
