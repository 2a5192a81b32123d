import { z } from 'zod';

/**
 * The plan's optional `export:` block: where the plan goes when it is handed to a cluster's own
 * progressive-delivery controller. Only what Argo Rollouts needs and the plan cannot say lives
 * here (the workload, its Services, the traffic router); everything about stages and guardrails
 * is read from the plan itself. See docs/argo-rollouts.md.
 */

/** A Kubernetes object name (RFC 1123 subdomain): lower-case letters, digits, '-' and '.', at most 253. */
export const KUBERNETES_NAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const kubernetesName = (description: string) => z.string().regex(KUBERNETES_NAME_PATTERN, "a Kubernetes name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit").describe(description);

const labels = (description: string) => z.record(z.string(), z.string()).describe(description);

export const argoRolloutsExportSchema = z
  .strictObject({
    rolloutName: kubernetesName('Name of the Rollout object. Default: `metadata.service`.').optional(),
    namespace: kubernetesName('Namespace of the Rollout and its AnalysisTemplates (and of the Kubernetes Secret holding the metrics token). Default: none, so `kubectl apply -n` decides.').optional(),
    replicas: z.number().int('a whole number').min(0, 'at least 0').optional().describe('Pods the Rollout runs. Without it Argo runs 1.'),
    workloadRef: z
      .strictObject({
        apiVersion: z.string().min(1).default('apps/v1').describe('API version of the workload, e.g. apps/v1.'),
        kind: z.string().min(1).default('Deployment').describe('Kind of the workload, e.g. Deployment.'),
        name: kubernetesName('Name of the workload whose pod template the Rollout runs.'),
        scaleDown: z.enum(['never', 'onsuccess', 'progressively']).optional().describe('When Argo scales the referenced Deployment down: never, onsuccess (after the Rollout is healthy) or progressively.'),
      })
      .optional()
      .describe('The workload (usually a Deployment) that provides the pod template. Default: the Deployment named `metadata.service`.'),
    canaryService: kubernetesName('Service that selects only candidate pods (canary strategy). Required with trafficRouting.').optional(),
    stableService: kubernetesName('Service that selects only baseline pods (canary strategy). Required with trafficRouting.').optional(),
    activeService: kubernetesName('Service that serves live traffic (blue-green strategy). Required when the plan has a blue-green stage.').optional(),
    previewService: kubernetesName('Service that reaches the candidate before the switch (blue-green strategy).').optional(),
    trafficRouting: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "Argo Rollouts' `spec.strategy.canary.trafficRouting`, copied as written (e.g. `istio: { virtualService: { name: churn-vsvc, routes: [primary] } }`) and checked against Argo's schema. Shadow stages need `istio` (or a traffic router plugin) for mirroring.",
      ),
    versionValue: z
      .enum(['label', 'podTemplateHash'])
      .default('label')
      .describe(
        "What `{{version}}` becomes in the cluster. label: the model version strings of the plan (your metrics carry a version label). podTemplateHash: the pod template hash of Argo's latest (candidate) or stable (baseline) ReplicaSet (your metrics carry rollouts_pod_template_hash).",
      ),
    prometheusAddress: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
      .optional()
      .describe('Prometheus address as seen from inside the cluster. Default: `endpoints.metrics.url`.'),
    metricsTokenSecret: z
      .strictObject({
        name: kubernetesName('Name of the Kubernetes Secret.'),
        key: z.string().min(1).default('token').describe('Key in the Secret that holds the token.'),
      })
      .optional()
      .describe('Kubernetes Secret holding the metrics token of `endpoints.metrics.token`. Default: the Secret named like the token reference, key `token`.'),
    prometheusRule: z
      .strictObject({
        labels: labels('Labels of the PrometheusRule object, e.g. the ones your Prometheus ruleSelector matches (`release: prometheus`).').optional(),
        alertLabels: labels('Labels of every alert. Default: `severity: critical`.').optional(),
      })
      .optional()
      .describe('Settings of `rollgate export --to prometheus-rule`.'),
  })
  .describe('How the plan becomes an Argo Rollouts Rollout with AnalysisTemplates (`rollgate export --to argo-rollouts`).');

export const exportSchema = z
  .strictObject({
    argoRollouts: argoRolloutsExportSchema.optional(),
  })
  .describe('Export targets: when present, the editor also shows what the export would refuse.');

export type ArgoRolloutsExport = z.output<typeof argoRolloutsExportSchema>;
