import type { Severity } from '../diagnostics';
import type { DeploymentEndpoint, ModelVersion } from '../plan/schema';

/** What a deployment backend can do; the plan validator reports each stage that needs more. */
export interface BackendCapabilities {
  /** Copies a share of live traffic to a version whose answers are discarded (shadow stages, `mirror`). */
  mirror: boolean;
  /** Why this split of live traffic (percent per version) cannot be set exactly, or undefined when it can. */
  splitProblem(shares: Record<string, number>): string | undefined;
}

/** The parts of a plan a backend's own checks read. */
export interface BackendPlanView<E extends DeploymentEndpoint = DeploymentEndpoint> {
  deployment: E;
  model?: { candidate: ModelVersion; baseline: ModelVersion };
  rollback?: { to: string };
}

/** A finding of a backend's check, placed at a path of the plan (its key or its value). */
export interface BackendFinding {
  code: string;
  message: string;
  path: (string | number)[];
  at?: 'key' | 'value';
  severity?: Severity;
}

/**
 * What Rollgate knows about one deployment backend without talking to it: its name for
 * messages, what it can do, and the checks of its own `endpoints.deployment` fields.
 */
export interface DeploymentBackendProfile<E extends DeploymentEndpoint = DeploymentEndpoint> {
  type: E['type'];
  /** For messages: "HAProxy (runtime API)". */
  label: string;
  capabilities: BackendCapabilities;
  /** Codes of the findings `checkPlan` may report, with one line each (for SARIF and the docs). */
  rules: Record<string, string>;
  checkPlan?(plan: BackendPlanView<E>): BackendFinding[];
}
