/** The description of `endpoints.deployment.type`, shared by every backend's schema. */
export const DEPLOYMENT_TYPE_DESCRIPTION =
  "Which system changes traffic: `rollgate` (the default) is the Rollgate deployment API (docs/deployment-api.yaml); `haproxy` sets server weights through a real HAProxy's runtime API (docs/backends.md).";
