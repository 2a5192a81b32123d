// The export as one call: validate the plan, map it, check every object against the real
// schemas, and report what cannot be mapped as diagnostics at exact plan spans.
import type { Diagnostic } from '../diagnostics';
import { planDigest, validatePlan } from '../plan/validate';
import type { Plan } from '../plan/schema';
import { ExportCodes, hasErrors, toDiagnostics, type ExportFinding } from './findings';
import { buildPrometheusRule } from './prometheusRule';
import { buildArgoRollouts, type ExportedObject } from './rollout';
import { checkSchemas } from './schemaCheck';

export type ExportTarget = 'argo-rollouts' | 'prometheus-rule';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['argo-rollouts', 'prometheus-rule'];

export interface PlanExport {
  /** Present only when nothing was refused: never a partly mapped rollout. */
  objects?: ExportedObject[];
  /** The plan's own errors when it is invalid; otherwise what the export refuses or warns about. */
  diagnostics: Diagnostic[];
}

/** Maps a plan (its exact text) to the objects of the given targets, checked against their schemas. */
export async function exportPlan(text: string, targets: readonly ExportTarget[]): Promise<PlanExport> {
  const validation = validatePlan(text);
  if (!validation.plan || hasErrors(validation.diagnostics)) {
    return { diagnostics: validation.diagnostics.filter((diagnostic) => diagnostic.severity === 'error') };
  }
  const { objects, findings } = mapPlan(validation.plan, text, targets);
  if (!hasErrors(findings)) findings.push(...(await schemaFindings(objects)));
  const diagnostics = toDiagnostics(text, findings);
  return hasErrors(findings) ? { diagnostics } : { objects, diagnostics };
}

/**
 * The export's findings without the schema check: what the editor shows for a plan that declares
 * `export.argoRollouts`. Synchronous and cheap; spans are computed only when there are findings.
 */
export function argoExportDiagnostics(text: string, plan: Plan): Diagnostic[] {
  try {
    return toDiagnostics(text, mapPlan(plan, text, ['argo-rollouts']).findings);
  } catch {
    return [];
  }
}

function mapPlan(plan: Plan, text: string, targets: readonly ExportTarget[]): { objects: ExportedObject[]; findings: ExportFinding[] } {
  const digest = planDigest(text);
  const objects: ExportedObject[] = [];
  const findings: ExportFinding[] = [];
  for (const target of targets) {
    const build = target === 'argo-rollouts' ? buildArgoRollouts(plan, digest) : buildPrometheusRule(plan, digest);
    objects.push(...build.objects);
    for (const finding of build.findings) {
      // The same refusal (a guardrail kind, a name) may come from both targets: say it once.
      if (!findings.some((seen) => seen.code === finding.code && seen.message === finding.message)) findings.push(finding);
    }
  }
  return { objects, findings };
}

async function schemaFindings(objects: readonly ExportedObject[]): Promise<ExportFinding[]> {
  const problems = await checkSchemas(objects.map(({ object }) => object));
  return problems.map((problem) => {
    const fromRouter = problem.paths.some((path) => path.startsWith('/spec/strategy/canary/trafficRouting'));
    return fromRouter
      ? {
          severity: 'error' as const,
          code: ExportCodes.argoSchema,
          message: `Argo Rollouts' schema rejects this trafficRouting: ${problem.message}.`,
          path: ['export', 'argoRollouts', 'trafficRouting'],
          at: 'key' as const,
        }
      : {
          severity: 'error' as const,
          code: ExportCodes.argoSchema,
          message: `The exported ${problem.kind} '${problem.name}' does not match its schema (${problem.message}). This is a Rollgate bug; please report it with the plan.`,
          path: ['metadata', 'name'],
        };
  });
}
