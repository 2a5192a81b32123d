import { backendProfile } from '../backends/profiles';
import type { Diagnostic } from '../diagnostics';
import type { DeploymentEndpoint, Plan } from './schema';
import { candidateTrafficPercent } from './semantics';
import type { PlanLocator } from './yamlTree';

/** Stable codes of the checks every deployment backend gets from its declared capabilities. */
export const DeploymentCodes = {
  cannotMirror: 'plan/backend-cannot-mirror',
  inexactSplit: 'plan/backend-inexact-split',
} as const;

export const deploymentRuleDescriptions: Readonly<Record<string, string>> = {
  [DeploymentCodes.cannotMirror]: 'A shadow stage or a mirror, on a deployment backend that cannot copy traffic (e.g. HAProxy).',
  [DeploymentCodes.inexactSplit]: "A stage's traffic split the deployment backend cannot set exactly (e.g. HAProxy's whole weights up to 256).",
};

/** The parts of a plan these checks read; each check runs when what it reads was accepted. */
export interface DeploymentSections {
  deployment?: DeploymentEndpoint;
  model?: Plan['model'];
  stages?: Plan['stages'];
  rollback?: Plan['rollback'];
}

/**
 * Checks the plan against its deployment backend: every stage needs only what the backend
 * declares it can do (reported at that stage), and the backend's own checks of its fields.
 */
export function deploymentDiagnostics(plan: DeploymentSections, locator: PlanLocator): Diagnostic[] {
  const { deployment } = plan;
  if (!deployment) return [];
  const profile = backendProfile(deployment.type);
  const diagnostics: Diagnostic[] = [];
  const push = (code: string, message: string, span: { start: number; end: number }, severity: Diagnostic['severity'] = 'error'): void => {
    diagnostics.push({ severity, code, message, start: span.start, end: span.end });
  };
  const backend = `${profile.label} (endpoints.deployment.type: ${deployment.type})`;

  plan.stages?.forEach((stage, index) => {
    if (!profile.capabilities.mirror) {
      if (stage.kind === 'shadow') {
        push(
          DeploymentCodes.cannotMirror,
          `Stage '${stage.name}' is a shadow stage, which copies live traffic to the candidate, but ${backend} has no native mirroring. Remove the stage, or test the candidate with a small canary share instead.`,
          locator.value(['stages', index, 'kind']),
        );
      } else if ((stage.mirror ?? 0) > 0) {
        push(
          DeploymentCodes.cannotMirror,
          `Stage '${stage.name}' mirrors ${stage.mirror}% of traffic to the candidate, but ${backend} has no native mirroring. Remove 'mirror'.`,
          locator.value(['stages', index, 'mirror']),
        );
      }
    }
    const traffic = candidateTrafficPercent(stage);
    if (traffic === undefined || stage.kind === 'offline' || !plan.model) return;
    const { candidate, baseline } = plan.model;
    const problem = profile.capabilities.splitProblem({ [baseline.version]: 100 - traffic, [candidate.version]: traffic });
    if (problem) {
      push(DeploymentCodes.inexactSplit, `Stage '${stage.name}': ${backend} cannot set this split: ${problem}.`, locator.value(['stages', index, stage.traffic !== undefined ? 'traffic' : 'kind']));
    }
  });

  // The backend's own checks; the cast is safe because the profile was looked up by this type.
  const check = profile.checkPlan as ((view: { deployment: DeploymentEndpoint; model?: Plan['model']; rollback?: Plan['rollback'] }) => ReturnType<NonNullable<typeof profile.checkPlan>>) | undefined;
  for (const finding of check?.({ deployment, ...(plan.model ? { model: plan.model } : {}), ...(plan.rollback ? { rollback: plan.rollback } : {}) }) ?? []) {
    push(finding.code, finding.message, finding.at === 'key' ? locator.key(finding.path) : locator.value(finding.path), finding.severity);
  }
  return diagnostics;
}
