import type { DeploymentEndpoint, DeploymentType } from '../plan/schema';
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
