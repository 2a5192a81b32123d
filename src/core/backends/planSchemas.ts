import { haproxyDeploymentSchema } from './haproxy/planSchema';

/**
 * The `endpoints.deployment` schemas of the backends other than the Rollgate API, each told
 * apart by its `type`. A new backend adds its schema (in its own folder) here.
 */
export const deploymentBackendSchemas = [haproxyDeploymentSchema] as const;

export { DEPLOYMENT_TYPE_DESCRIPTION } from './deploymentType';
