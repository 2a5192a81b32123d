import type { BackendFinding, BackendPlanView, DeploymentBackendProfile } from '../profile';
import { isLoopbackAddress, parseRuntimeApiUrl } from './address';
import { weightsForShares } from './weights';

type HaproxyDeployment = Extract<BackendPlanView['deployment'], { type: 'haproxy' }>;

/** Stable codes of the HAProxy backend's plan findings. */
export const HaproxyPlanCodes = {
  versionWithoutServer: 'plan/haproxy-version-without-server',
  sharedServer: 'plan/haproxy-shared-server',
  remoteRuntimeApi: 'plan/haproxy-remote-runtime-api',
} as const;

/** HAProxy as a deployment backend: weights through the runtime API, no mirroring. */
export const haproxyProfile: DeploymentBackendProfile<HaproxyDeployment> = {
  type: 'haproxy',
  label: 'HAProxy (runtime API)',
  capabilities: {
    mirror: false,
    splitProblem(shares) {
      const plan = weightsForShares(shares);
      return 'problem' in plan ? plan.problem : undefined;
    },
  },
  rules: {
    [HaproxyPlanCodes.versionWithoutServer]: 'With type: haproxy, the candidate, the baseline or an explicit rollback target has no server in endpoints.deployment.servers.',
    [HaproxyPlanCodes.sharedServer]: 'With type: haproxy, two versions map to the same server, so traffic could not be split between them.',
    [HaproxyPlanCodes.remoteRuntimeApi]: 'With type: haproxy, the runtime API is reached over TCP on another machine: admin access without authentication.',
  },
  checkPlan({ deployment, model, rollback }) {
    const findings: BackendFinding[] = [];
    const listed = Object.keys(deployment.servers);
    const mapping = listed.length > 0 ? `it maps ${listed.map((version) => `"${version}"`).join(', ')}` : 'it is empty';
    const needServer = (version: string, role: string, path: (string | number)[]): void => {
      if (version in deployment.servers) return;
      findings.push({
        code: HaproxyPlanCodes.versionWithoutServer,
        message: `The ${role} version '${version}' has no server in endpoints.deployment.servers (${mapping}). Add "${version}": <server name in backend ${deployment.backend}>.`,
        path,
      });
    };
    if (model) {
      needServer(model.candidate.version, 'candidate', ['model', 'candidate', 'version']);
      needServer(model.baseline.version, 'baseline', ['model', 'baseline', 'version']);
    }
    if (rollback && rollback.to !== 'baseline') needServer(rollback.to, 'rollback target', ['rollback', 'to']);

    const versionOf = new Map<string, string>();
    for (const [version, server] of Object.entries(deployment.servers)) {
      const earlier = versionOf.get(server);
      if (earlier === undefined) versionOf.set(server, version);
      else {
        findings.push({
          code: HaproxyPlanCodes.sharedServer,
          message: `Versions '${earlier}' and '${version}' both map to server '${server}'; each version needs its own server, or traffic could not be split between them.`,
          path: ['endpoints', 'deployment', 'servers', version],
        });
      }
    }

    const address = parseRuntimeApiUrl(deployment.url);
    if (address?.kind === 'tcp' && !isLoopbackAddress(address)) {
      findings.push({
        code: HaproxyPlanCodes.remoteRuntimeApi,
        message: `The runtime API at ${deployment.url} is reached over the network: it has no authentication and 'level admin' lets anyone who can connect change every backend. Prefer a unix socket (unix:///run/haproxy/admin.sock) or a loopback address, reached over SSH if HAProxy runs elsewhere.`,
        path: ['endpoints', 'deployment', 'url'],
        severity: 'warning',
      });
    }
    return findings;
  },
};
