// One stage's guardrails → one AnalysisTemplate, and the Rollout's reference to it with its args.
import { KUBERNETES_NAME_PATTERN, type ArgoRolloutsExport } from '../plan/exportSchema';
import type { Plan, Stage } from '../plan/schema';
import { ExportCodes, type ExportFinding } from './findings';
import { guardrailMetrics, type ArgoMetric, type ProviderSettings } from './guardrailMetrics';
import { ARG_NAMES, type QueryArg } from './queries';

export const ANNOTATION_PREFIX = 'rollgate.dev';

export interface ExportContext {
  plan: Plan;
  settings: ArgoRolloutsExport;
  provider: ProviderSettings;
  /** The Kubernetes Secret feeding the metrics token arg, when the plan has a token. */
  tokenSecret?: { name: string; key: string };
  /** `rollback.automatic: false`: breaches pause (Inconclusive) instead of aborting. */
  pauseOnBreach: boolean;
  planDigest: string;
  findings: ExportFinding[];
}

/** A stage's analysis: the template to emit and the `analysis` block that runs it. */
export interface StageAnalysis {
  template: Record<string, unknown>;
  /** `{ templates, args }` for a canary step or a blue-green pre/post-promotion analysis. */
  reference: Record<string, unknown>;
  /** How long the analysis measures. */
  durationMs: number;
}

/** Builds the stage's AnalysisTemplate; undefined when it has no guardrails or one cannot be mapped. */
export function stageAnalysis(context: ExportContext, stage: Stage, stageIndex: number, bakeMs: number): StageAnalysis | undefined {
  const names = stage.guardrails ?? [];
  if (names.length === 0) return undefined;
  const { plan, findings } = context;
  const templateName = `${plan.metadata.name}-${stage.name}`;
  if (!KUBERNETES_NAME_PATTERN.test(templateName)) {
    findings.push({
      severity: 'error',
      code: ExportCodes.kubernetesName,
      message: `The AnalysisTemplate of this stage would be named '${templateName}', which is not a Kubernetes name (lower-case letters, digits, '-' and '.', at most 253 characters). Rename the stage or the plan without '_'.`,
      path: ['stages', stageIndex, 'name'],
    });
    return undefined;
  }

  const usedArgs = new Set<QueryArg>();
  const metrics: ArgoMetric[] = [];
  const dryRun: string[] = [];
  let durationMs = 0;
  let mapped = true;
  names.forEach((name, position) => {
    const guardrailIndex = plan.guardrails.findIndex((guardrail) => guardrail.name === name);
    const guardrail = plan.guardrails[guardrailIndex];
    if (!guardrail) return; // plan validation reports unknown guardrails
    const result = guardrailMetrics(guardrail, guardrailIndex, bakeMs, { provider: context.provider, pauseOnBreach: context.pauseOnBreach, usedArgs }, findings);
    if (!result) {
      mapped = false;
      return;
    }
    for (const metric of result.metrics) {
      if (metrics.some((existing) => existing.name === metric.name)) {
        findings.push({
          severity: 'error',
          code: ExportCodes.metricNameTaken,
          message: `Guardrail '${name}' is exported as metric '${metric.name}', a name another guardrail of stage '${stage.name}' already uses. Rename one of them.`,
          path: ['stages', stageIndex, 'guardrails', position],
        });
        mapped = false;
      }
    }
    metrics.push(...result.metrics);
    dryRun.push(...result.dryRun);
    durationMs = Math.max(durationMs, result.durationMs);
  });
  if (!mapped || metrics.length === 0) return undefined;

  const templateArgs: Record<string, unknown>[] = [...usedArgs].sort().map((name) => ({ name }));
  if (context.tokenSecret) {
    templateArgs.push({ name: ARG_NAMES.metricsToken, valueFrom: { secretKeyRef: { name: context.tokenSecret.name, key: context.tokenSecret.key } } });
  }
  const template = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: {
      name: templateName,
      ...(context.settings.namespace ? { namespace: context.settings.namespace } : {}),
      annotations: {
        [`${ANNOTATION_PREFIX}/plan`]: plan.metadata.name,
        [`${ANNOTATION_PREFIX}/stage`]: stage.name,
        [`${ANNOTATION_PREFIX}/plan-digest`]: context.planDigest,
      },
    },
    spec: {
      ...(templateArgs.length > 0 ? { args: templateArgs } : {}),
      metrics,
      ...(dryRun.length > 0 ? { dryRun: dryRun.map((metricName) => ({ metricName })) } : {}),
    },
  };
  const args = [...usedArgs].sort().map((name) => rolloutArg(context, name));
  return { template, reference: { templates: [{ templateName }], ...(args.length > 0 ? { args } : {}) }, durationMs };
}

/** The value the Rollout passes for one query arg. */
function rolloutArg(context: ExportContext, name: QueryArg): Record<string, unknown> {
  const { plan, settings } = context;
  switch (name) {
    case 'candidate-version':
      return settings.versionValue === 'podTemplateHash' ? { name, valueFrom: { podTemplateHashValue: 'Latest' } } : { name, value: plan.model.candidate.version };
    case 'baseline-version':
      return settings.versionValue === 'podTemplateHash' ? { name, valueFrom: { podTemplateHashValue: 'Stable' } } : { name, value: plan.model.baseline.version };
    case 'service':
      return { name, value: plan.metadata.service };
    case 'plan':
      return { name, value: plan.metadata.name };
    case 'model':
      return { name, value: plan.model.name };
  }
}
