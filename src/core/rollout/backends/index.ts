// Deployment backends, one implementation per file, chosen by the plan's deployment endpoint
// type. Adding one: write `backends/<type>.ts` exporting a DeploymentBackendFactory, add it to
// `deploymentBackends` below, and let the schema accept the type (`endpoints.deployment.type`).
import type { Plan } from '../../plan/schema';
import { haproxyBackend } from './haproxy';
import { rollgateBackend } from './rollgate';
import type { DeploymentBackend, DeploymentBackendContext, DeploymentBackendFactory } from './types';

export * from './types';
export { DeploymentTraffic, rollgateBackend, trafficFromService } from './rollgate';
export { HaproxyTrafficControl, haproxyBackend, UNPLANNED_PREFIX } from './haproxy';

/** Every backend by its `endpoints.deployment.type`. */
export const deploymentBackends: Readonly<Record<string, DeploymentBackendFactory>> = {
  rollgate: rollgateBackend,
  haproxy: haproxyBackend,
};

/** The plan's backend type; `rollgate` (the deployment contract) unless the plan names another. */
export function deploymentBackendType(plan: Plan): string {
  const type = (plan.endpoints.deployment as { type?: unknown }).type;
  return typeof type === 'string' ? type : 'rollgate';
}

/** Connects the plan's deployment backend. */
export function createDeploymentBackend(context: DeploymentBackendContext): DeploymentBackend {
  const type = deploymentBackendType(context.plan);
  const factory = deploymentBackends[type];
  if (!factory) throw new Error(`endpoints.deployment.type '${type}' is not a deployment backend Rollgate knows (${Object.keys(deploymentBackends).join(', ')})`);
  return factory(context);
}
