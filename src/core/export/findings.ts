import { parseDocument } from 'yaml';
import type { Diagnostic, Severity } from '../diagnostics';
import { PLAN_PARSE_OPTIONS } from '../plan/validate';
import { PlanLocator, type PlanPath } from '../plan/yamlTree';

/** Stable codes of what the export to Argo Rollouts refuses or warns about. Never rename one. */
export const ExportCodes = {
  guardrailKind: 'export/guardrail-kind',
  flagsNotExported: 'export/flags-not-exported',
  mirrorNeedsRouter: 'export/mirror-needs-router',
  routerNeedsServices: 'export/router-needs-services',
  blueGreenNeedsActiveService: 'export/blue-green-needs-active-service',
  mixedStrategies: 'export/mixed-strategies',
  blueGreenStageOrder: 'export/blue-green-stage-order',
  blueGreenTraffic: 'export/blue-green-traffic',
  blueGreenGateBeforeSwitch: 'export/blue-green-gate-before-switch',
  bakeNotExpressible: 'export/bake-not-expressible',
  wholeSeconds: 'export/whole-seconds',
  rollbackTarget: 'export/rollback-target',
  kubernetesName: 'export/kubernetes-name',
  metricNameTaken: 'export/metric-name-taken',
  loopbackPrometheus: 'export/loopback-prometheus',
  defaultsUsed: 'export/defaults-used',
  weightByReplicas: 'export/weight-by-replicas',
  ruleNeedsLabelVersions: 'export/rule-needs-label-versions',
  argoSchema: 'export/argo-schema',
} as const;

/**
 * A finding of the export, placed by plan path; turned into a span only when it is shown, so a
 * plan that exports cleanly is never parsed a second time.
 */
export interface ExportFinding {
  severity: Severity;
  code: string;
  message: string;
  path: PlanPath;
  /** Mark the key of the pair at `path` instead of its value. */
  at?: 'key' | 'value';
}

export const hasErrors = (findings: readonly { severity: Severity }[]): boolean => findings.some((finding) => finding.severity === 'error');

/** Places findings in the plan's text (one parse, only when there is something to place). */
export function toDiagnostics(text: string, findings: readonly ExportFinding[]): Diagnostic[] {
  if (findings.length === 0) return [];
  const locator = new PlanLocator(text, parseDocument(text, PLAN_PARSE_OPTIONS));
  return findings
    .map((finding) => {
      const span = finding.at === 'key' ? locator.key(finding.path) : locator.value(finding.path);
      return { severity: finding.severity, code: finding.code, message: finding.message, start: span.start, end: span.end };
    })
    .sort((a, b) => a.start - b.start || a.end - b.end);
}
