// A validated plan → the Argo Rollouts objects that run it in a cluster: one Rollout and one
// AnalysisTemplate per stage with guardrails. Everything the mapping cannot express exactly is a
// finding at the plan span that causes it; semantic differences are written as YAML comments.
import { argoRolloutsExportSchema, KUBERNETES_NAME_PATTERN, type ArgoRolloutsExport } from '../plan/exportSchema';
import { parseDuration, type Plan } from '../plan/schema';
import { ExportCodes, type ExportFinding } from './findings';
import { ARG_NAMES } from './queries';
import { ANNOTATION_PREFIX, type ExportContext } from './stageAnalysis';
import { exportStrategy } from './strategy';

/** One object to write, with the comment that goes above it in YAML. */
export interface ExportedObject {
  object: Record<string, unknown> & { kind: string; metadata: { name: string } };
  comment?: string;
}

export interface ArgoBuild {
  objects: ExportedObject[];
  findings: ExportFinding[];
}

/** The export block with its defaults, whether or not the plan has one. */
export function exportSettings(plan: Plan): ArgoRolloutsExport {
  return plan.export?.argoRollouts ?? argoRolloutsExportSchema.parse({});
}

/** Maps the plan; `planDigest` is the digest of its exact text (see `planDigest`). */
export function buildArgoRollouts(plan: Plan, planDigest: string): ArgoBuild {
  const findings: ExportFinding[] = [];
  const settings = exportSettings(plan);
  const block = plan.export?.argoRollouts;
  const blockPath = ['export', 'argoRollouts'];

  if (!block) {
    findings.push({
      severity: 'warning',
      code: ExportCodes.defaultsUsed,
      message: `No export.argoRollouts block: the Rollout runs the pod template of Deployment '${plan.metadata.service}' with 1 replica and no traffic router. Add the block to say otherwise.`,
      path: ['metadata', 'service'],
    });
  }
  if (plan.flags && plan.flags.length > 0) {
    findings.push({
      severity: 'warning',
      code: ExportCodes.flagsNotExported,
      message: `Argo Rollouts has no feature-flag step: flags ${plan.flags.map((flag) => `'${flag.name}'`).join(', ')} are not exported. Switch them with your flag service.`,
      path: ['flags'],
      at: 'key',
    });
  }
  if (plan.rollback.to !== 'baseline' && plan.rollback.to !== plan.model.baseline.version) {
    findings.push({
      severity: 'error',
      code: ExportCodes.rollbackTarget,
      message: `Argo Rollouts aborts to the stable ReplicaSet (the version running before the update, the plan's baseline '${plan.model.baseline.version}'); it cannot roll back to '${plan.rollback.to}'. Use rollback.to: baseline.`,
      path: ['rollback', 'to'],
    });
  }

  const address = settings.prometheusAddress ?? plan.endpoints.metrics.url;
  if (isLoopback(address)) {
    findings.push({
      severity: 'warning',
      code: ExportCodes.loopbackPrometheus,
      message: `The analysis runs inside the cluster, where ${new URL(address).host} is the Argo controller's own pod, not your Prometheus. Set export.argoRollouts.prometheusAddress to the address the cluster reaches.`,
      path: settings.prometheusAddress ? [...blockPath, 'prometheusAddress'] : ['endpoints', 'metrics', 'url'],
    });
  }
  let timeoutSeconds: number | undefined;
  const timeout = plan.endpoints.metrics.timeout;
  if (timeout) {
    const ms = parseDuration(timeout) ?? 0;
    if (ms % 1000 !== 0 || ms === 0) {
      findings.push({ severity: 'error', code: ExportCodes.wholeSeconds, message: `Argo's Prometheus timeout is a whole number of seconds; ${timeout} is not.`, path: ['endpoints', 'metrics', 'timeout'] });
    } else timeoutSeconds = ms / 1000;
  }
  let tokenSecret: ExportContext['tokenSecret'];
  const token = plan.endpoints.metrics.token;
  if (token) {
    tokenSecret = settings.metricsTokenSecret ?? { name: token.secret, key: 'token' };
    if (!settings.metricsTokenSecret && !KUBERNETES_NAME_PATTERN.test(token.secret)) {
      findings.push({
        severity: 'error',
        code: ExportCodes.kubernetesName,
        message: `In the cluster the metrics token comes from a Kubernetes Secret, and '${token.secret}' is not a Kubernetes name. Set export.argoRollouts.metricsTokenSecret: { name, key }.`,
        path: ['endpoints', 'metrics', 'token', 'secret'],
      });
    }
  }
  const rolloutName = settings.rolloutName ?? plan.metadata.service;
  if (!KUBERNETES_NAME_PATTERN.test(rolloutName)) {
    findings.push({
      severity: 'error',
      code: ExportCodes.kubernetesName,
      message: `The Rollout would be named '${rolloutName}' (the service), which is not a Kubernetes name. Set export.argoRollouts.rolloutName.`,
      path: ['metadata', 'service'],
    });
  }

  const pauseOnBreach = !plan.rollback.automatic;
  const context: ExportContext = {
    plan,
    settings,
    provider: {
      address,
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
      ...(tokenSecret ? { headers: [{ key: 'Authorization', value: `Bearer {{args.${ARG_NAMES.metricsToken}}}` }] } : {}),
    },
    ...(tokenSecret ? { tokenSecret } : {}),
    pauseOnBreach,
    planDigest,
    findings,
  };
  const { strategy, templates, notes } = exportStrategy(context);
  const workloadRef = settings.workloadRef ?? { apiVersion: 'apps/v1', kind: 'Deployment', name: plan.metadata.service };

  const rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: rolloutName,
      ...(settings.namespace ? { namespace: settings.namespace } : {}),
      annotations: rolloutAnnotations(plan, planDigest),
    },
    spec: {
      ...(settings.replicas !== undefined ? { replicas: settings.replicas } : {}),
      workloadRef,
      strategy,
    },
  };
  const semantics = [
    'failureLimit: Argo counts failed measurements in the whole analysis run, Rollgate counts them in a row. Each metric gets failureLimit - 1, so Argo fails whenever Rollgate would breach, and also on failures that are not consecutive.',
    'A query that errors (Prometheus unreachable, invalid PromQL) is an Error in Argo, tried again up to consecutiveErrorLimit (4) times before the Rollout aborts; Rollgate counts it as no data (onNoData).',
    pauseOnBreach
      ? 'rollback.automatic: false: Argo has no "pause on breach", so a breach is made Inconclusive (failureCondition: false), which pauses the Rollout at that step. `kubectl argo rollouts promote` goes on; `kubectl argo rollouts abort` rolls back.'
      : 'rollback.automatic: true: a failed analysis aborts the Rollout, and traffic returns to the stable ReplicaSet (the baseline).',
    ...(plan.guardrails.some((guardrail) => guardrail.relativeTo === 'baseline' && (guardrail.min !== undefined || guardrail.max !== undefined))
      ? ['A guardrail with both bounds and a baseline ratio becomes two metrics (<name> and <name>-ratio), judged and counted apart.']
      : []),
    ...notes,
  ];
  const header = [
    `Generated by rollgate export from plan ${plan.metadata.name} (${planDigest}).`,
    'Change the plan and export again rather than editing this file.',
    'Where Argo Rollouts behaves differently from the Rollgate engine:',
    ...semantics.map((note) => `- ${note}`),
  ];
  const objects: ExportedObject[] = [{ object: rollout, comment: header.join('\n') }];
  for (const template of templates) {
    const stage = (template.metadata as { annotations: Record<string, string> }).annotations[`${ANNOTATION_PREFIX}/stage`] ?? '';
    objects.push({
      object: template as ExportedObject['object'],
      comment: `Guardrails of stage ${stage}: each metric measures every interval of the bake, the first after one interval (initialDelay), count = bake / interval, at least once.`,
    });
  }
  return { objects, findings };
}

/** Lineage and plan digest, so the cluster object points back to its reviewed plan. */
function rolloutAnnotations(plan: Plan, planDigest: string): Record<string, string> {
  const annotations: Record<string, string> = {
    [`${ANNOTATION_PREFIX}/plan`]: plan.metadata.name,
    [`${ANNOTATION_PREFIX}/plan-digest`]: planDigest,
    [`${ANNOTATION_PREFIX}/model`]: plan.model.name,
    [`${ANNOTATION_PREFIX}/candidate`]: JSON.stringify(plan.model.candidate),
    [`${ANNOTATION_PREFIX}/baseline`]: JSON.stringify(plan.model.baseline),
  };
  if (plan.metadata.owner) annotations[`${ANNOTATION_PREFIX}/owner`] = plan.metadata.owner;
  annotations[`${ANNOTATION_PREFIX}/environment`] = plan.metadata.environment;
  if (plan.lineage?.data) annotations[`${ANNOTATION_PREFIX}/lineage-data`] = JSON.stringify(plan.lineage.data);
  if (plan.lineage?.features) annotations[`${ANNOTATION_PREFIX}/lineage-features`] = JSON.stringify(plan.lineage.features);
  if (plan.lineage?.training) annotations[`${ANNOTATION_PREFIX}/lineage-training`] = JSON.stringify(plan.lineage.training);
  return annotations;
}

function isLoopback(address: string): boolean {
  try {
    const host = new URL(address).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}
