import type { DeploymentEndpoint, DeploymentType, Plan } from '../plan/schema';
import { haproxyProfile } from './haproxy/profile';
import type { DeploymentBackendProfile } from './profile';

/** The Rollgate deployment API: percentages as they are, shadow mirroring included. */
export const rollgateProfile: DeploymentBackendProfile<Extract<DeploymentEndpoint, { type: 'rollgate' }>> = {
  type: 'rollgate',
  label: 'the Rollgate deployment API',
  capabilities: { mirror: true, splitProblem: () => undefined },
  rules: {},
};

/** Every deployment backend by `type`. A new backend adds its profile here. */
const profiles: { [T in DeploymentType]: DeploymentBackendProfile<Extract<DeploymentEndpoint, { type: T }>> } = {
  rollgate: rollgateProfile,
  haproxy: haproxyProfile,
};

/** The profile of a deployment backend. */
export function backendProfile<T extends DeploymentType>(type: T): DeploymentBackendProfile<Extract<DeploymentEndpoint, { type: T }>> {
  return profiles[type];
}

/** The finding codes of every backend, with one line each. */
export const backendRuleDescriptions: Readonly<Record<string, string>> = Object.assign({}, ...Object.values(profiles).map((profile) => profile.rules));

/** Thrown when a command cannot drive the plan's deployment backend; nothing was sent. */
export class UnsupportedBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedBackendError';
  }
}

/**
 * The plan's deployment endpoint when it is the Rollgate deployment API; otherwise throws an
 * {@link UnsupportedBackendError} saying that `what` does not drive the plan's backend, before
 * anything is sent.
 */
export function rollgateDeployment(plan: Plan, what: string): Extract<DeploymentEndpoint, { type: 'rollgate' }> {
  const deployment = plan.endpoints.deployment;
  if (deployment.type === 'rollgate') return deployment;
  throw new UnsupportedBackendError(
    `${what} drives the Rollgate deployment API only, but this plan's deployment backend is ${backendProfile(deployment.type).label} (endpoints.deployment.type: ${deployment.type}, ${deployment.url}). Nothing was sent.`,
  );
}
